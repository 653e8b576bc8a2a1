// Presence shared by every instance through Redis: one sorted set per tenant, scored by deadline.
import type { Cluster, Redis } from 'ioredis'
import type { PresenceStore } from './presence.ts'

// Members are "<user>\n<instance>"; "\n" cannot occur in ids. Scripts keep check-and-change atomic.
const CONNECT = `
local prefix = ARGV[1] .. '\\n'
local live = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[4], '+inf')
local online = 0
for _, m in ipairs(live) do
  if string.sub(m, 1, #prefix) == prefix then online = 1 break end
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
if ARGV[5] ~= '' then redis.call('HSET', KEYS[2], ARGV[1], ARGV[5]) end
return online == 1 and 0 or 1
`

const SWEEP = `
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
if #expired == 0 then return {} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1])
local live = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], '+inf')
local still = {}
for _, m in ipairs(live) do still[string.match(m, '^(.-)\\n')] = true end
local out, seen = {}, {}
for _, m in ipairs(expired) do
  local user = string.match(m, '^(.-)\\n')
  if user and not still[user] and not seen[user] then
    seen[user] = true
    table.insert(out, user)
    table.insert(out, redis.call('HGET', KEYS[2], user) or '')
    redis.call('HDEL', KEYS[2], user)
  end
end
return out
`

export interface RedisPresenceOptions {
  redis: Redis | Cluster
  instanceId: string
  prefix?: string
}

export function createRedisPresence(opts: RedisPresenceOptions): PresenceStore {
  const { redis, instanceId } = opts
  const prefix = opts.prefix ?? 'puo'
  // Hash tag: both keys of a tenant live in one cluster slot, as a script needs.
  const keys = (tenantId: string) => [
    `${prefix}:presence:{${tenantId}}`,
    `${prefix}:presence-names:{${tenantId}}`,
  ]
  const member = (userId: string) => `${userId}\n${instanceId}`

  return {
    async connect(u, liveUntil) {
      const [z, h] = keys(u.tenantId)
      const joined = await redis.eval(
        CONNECT,
        2,
        z as string,
        h as string,
        u.userId,
        member(u.userId),
        liveUntil,
        Date.now(),
        u.name ?? '',
      )
      return joined === 1
    },
    async disconnect(u, graceUntil) {
      const [z] = keys(u.tenantId)
      await redis.zadd(z as string, 'XX', graceUntil, member(u.userId))
    },
    async refresh(users, liveUntil) {
      if (users.length === 0) return
      await Promise.all(
        users.map((u) => redis.zadd(keys(u.tenantId)[0] as string, liveUntil, member(u.userId))),
      )
    },
    async sweep(tenantIds, now) {
      const gone = await Promise.all(
        tenantIds.map(async (tenantId) => {
          const [z, h] = keys(tenantId)
          const flat = (await redis.eval(SWEEP, 2, z as string, h as string, now)) as string[]
          const users = []
          for (let i = 0; i < flat.length; i += 2) {
            const name = flat[i + 1]
            users.push({ tenantId, userId: flat[i] as string, ...(name ? { name } : {}) })
          }
          return users
        }),
      )
      return gone.flat()
    },
    async list(tenantId, now) {
      const [z, h] = keys(tenantId)
      const live = await redis.zrangebyscore(z as string, now, '+inf')
      const users = [...new Set(live.map((m) => m.slice(0, m.indexOf('\n'))))]
      if (users.length === 0) return []
      const names = await redis.hmget(h as string, ...users)
      return users.map((userId, i) => ({
        userId,
        ...(names[i] ? { name: names[i] as string } : {}),
      }))
    },
  }
}
