// Many instances, no lost events: three server processes on one PostgreSQL and a private Redis.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Database } from '../src/db/database.ts'
import { openPostgres } from '../src/db/postgres.ts'
import { type Cluster, startCluster } from './harness/cluster.ts'
import { type PrivateRedis, redisServerPath, startPrivateRedis } from './harness/redis.ts'
import { freshPostgresUrl } from './support/db.ts'
import { postgresUrl } from './support/env.ts'
import { expectedFrames, quietLog } from './support/expected.ts'
import { type Follower, follow } from './support/follower.ts'

const isAvailable = postgresUrl !== undefined && redisServerPath !== null

interface Client {
  tenant: string
  user: string
  follower: Follower
}

describe.skipIf(!isAvailable)('three instances, one Redis', () => {
  let redis: PrivateRedis
  let cluster: Cluster
  let db: Database
  let databaseUrl: string
  beforeAll(async () => {
    redis = await startPrivateRedis()
    databaseUrl = await freshPostgresUrl(postgresUrl as string)
    cluster = await startCluster({
      instances: 3,
      database: { url: databaseUrl },
      redisUrl: redis.url,
      env: { EVENT_SYNC_INTERVAL_MS: '500' },
    })
    db = openPostgres({ url: databaseUrl, max: 2 })
  }, 120_000)
  afterAll(async () => {
    await cluster?.stop()
    await db?.close()
    await redis?.stop()
  })

  /** REST call to instance `i`, falling over to the next instance if that one is down. */
  async function call(i: number, token: string, method: string, path: string, body?: unknown) {
    for (let k = 0; k < cluster.urls.length; k++) {
      const url = cluster.urls[(i + k) % cluster.urls.length]
      try {
        const res = await fetch(`${url}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        })
        return {
          status: res.status,
          body: res.status === 204 ? null : ((await res.json()) as { id: string }),
        }
      } catch {}
    }
    throw new Error('no instance answered')
  }

  async function clientsFor(tenants: string[], users: string[]): Promise<Client[]> {
    const clients: Client[] = []
    let i = 0
    for (const tenant of tenants) {
      for (const user of users) {
        clients.push({
          tenant,
          user,
          follower: follow(cluster.urls, await cluster.token(tenant, user), i++),
        })
      }
    }
    await Promise.all(clients.map((c) => c.follower.ready))
    return clients
  }

  /** Waits for the log to go quiet, then checks every client against what it was entitled to. */
  async function verify(clients: Client[], tenants: string[]) {
    const log = await quietLog(db.db, tenants, 250, 6)
    for (const c of clients) {
      const expected = expectedFrames(log, c.tenant, c.user, c.follower.startSeq() ?? 0)
      const got = () => c.follower.frames.map((f) => `${f.seq} ${f.type} ${f.id}`)
      for (let i = 0; i < 100 && got().length < expected.length; i++) await Bun.sleep(100)
      await Bun.sleep(100)
      expect({ client: `${c.tenant}/${c.user}`, events: got() }).toEqual({
        client: `${c.tenant}/${c.user}`,
        events: expected,
      })
    }
    for (const c of clients) c.follower.stop()
    return log
  }

  /** Creates and content edits (no visibility changes: what a resumed client replays equals what it would have seen live). */
  async function writeStream(
    tenants: string[],
    users: string[],
    count: number,
    onHalf?: () => Promise<void>,
  ) {
    const ids = new Map<string, string[]>()
    for (let n = 0; n < count; n++) {
      if (n === Math.floor(count / 2)) await onHalf?.()
      const tenant = tenants[n % tenants.length] as string
      const user = users[n % users.length] as string
      const token = await cluster.token(tenant, user)
      const mine = ids.get(`${tenant}/${user}`) ?? []
      ids.set(`${tenant}/${user}`, mine)
      if (mine.length > 0 && n % 3 === 0) {
        await call(n, token, 'PATCH', `/api/v4/memories/${mine[n % mine.length]}`, {
          content: `edit ${n}`,
        })
      } else {
        const res = await call(n, token, 'POST', '/api/v4/memories', {
          content: `n${n}`,
          visibility: n % 4 === 0 ? 'private' : 'team',
        })
        if (res.status === 201 && res.body) mine.push(res.body.id)
      }
      await Bun.sleep(15)
    }
  }

  test('every event type crosses instances, with visibility', async () => {
    const tenants = ['x-a', 'x-b']
    const users = ['u0', 'u1', 'u2']
    const clients = await clientsFor(tenants, users)
    const [u0, u1] = [await cluster.token('x-a', 'u0'), await cluster.token('x-a', 'u1')]
    const m = await call(1, u0, 'POST', '/api/v4/memories', {
      content: 'shared',
      visibility: 'team',
    })
    const id = (m.body as { id: string }).id
    expect((await call(2, u1, 'PATCH', `/api/v4/memories/${id}`, { title: 'by u1' })).status).toBe(
      200,
    )
    expect(
      (await call(0, u0, 'PATCH', `/api/v4/memories/${id}`, { visibility: 'private' })).status,
    ).toBe(200)
    expect(
      (await call(2, u0, 'PATCH', `/api/v4/memories/${id}`, { visibility: 'team' })).status,
    ).toBe(200)
    await Bun.sleep(300) // let its embedding land while it is team
    expect((await call(1, u0, 'DELETE', `/api/v4/memories/${id}`)).status).toBe(204)
    await call(0, u1, 'POST', '/api/v4/memories', { content: 'u1 only', visibility: 'private' })
    await call(2, await cluster.token('x-b', 'u2'), 'POST', '/api/v4/memories', {
      content: 'other tenant',
      visibility: 'team',
    })
    const log = await verify(clients, tenants)
    expect(new Set(log.map((e) => e.type))).toEqual(
      new Set(['memory.created', 'memory.updated', 'memory.deleted', 'memory.embedding_complete']),
    )
  }, 60_000)

  test('kill -9 an instance mid-stream: its clients resume elsewhere with no gap and no duplicate', async () => {
    const tenants = ['k-a', 'k-b']
    const users = ['u0', 'u1', 'u2']
    const clients = await clientsFor(tenants, users)
    await writeStream(tenants, users, 60, async () => {
      await cluster.kill(0)
    })
    await verify(clients, tenants)
    expect(clients.some((c) => c.follower.reconnects > 0)).toBe(true)
    await cluster.restart(0)
  }, 90_000)

  test('Redis killed and restarted mid-stream: every client ends with the complete ordered set', async () => {
    const tenants = ['r-a', 'r-b']
    const users = ['u0', 'u1', 'u2']
    const clients = await clientsFor(tenants, users)
    await writeStream(tenants, users, 60, async () => {
      await redis.kill()
      await Bun.sleep(500)
      await redis.start()
    })
    await verify(clients, tenants)
  }, 90_000)

  test('Redis hung (SIGSTOP 10 s) mid-stream: every client ends with the complete ordered set', async () => {
    const tenants = ['h-a', 'h-b']
    const users = ['u0', 'u1', 'u2']
    const clients = await clientsFor(tenants, users)
    await writeStream(tenants, users, 40, async () => {
      redis.signal('SIGSTOP')
      setTimeout(() => redis.signal('SIGCONT'), 10_000)
    })
    await Bun.sleep(10_500)
    await verify(clients, tenants)
  }, 90_000)
})

describe.skipIf(!isAvailable)('presence across instances', () => {
  let redis: PrivateRedis
  let cluster: Cluster
  beforeAll(async () => {
    redis = await startPrivateRedis()
    const databaseUrl = await freshPostgresUrl(postgresUrl as string)
    cluster = await startCluster({
      instances: 3,
      database: { url: databaseUrl },
      redisUrl: redis.url,
      env: { EVENT_SYNC_INTERVAL_MS: '500', PRESENCE_TTL_MS: '1500', PRESENCE_GRACE_MS: '400' },
    })
  }, 120_000)
  afterAll(async () => {
    await cluster?.stop()
    await redis?.stop()
  })

  const socketOn = async (i: number, tenant: string, user: string) => {
    const { openSocket } = await import('./support/realtime.ts')
    const url = `${(cluster.urls[i] as string).replace('http', 'ws')}/api/v4/ws?token=${await cluster.token(tenant, user)}`
    return openSocket(url)
  }
  const presenceOf = (frames: { type: string; data: { userId: string } }[], user: string) =>
    frames
      .filter((f) => f.type.startsWith('tenant.user_') && f.data.userId === user)
      .map((f) => f.type)

  test('one join per user however many instances; a reconnect within grace does not flap; a dead instance’s users expire', async () => {
    const watcher = await socketOn(1, 'p', 'watcher')
    await watcher.subscribe('tenant')
    const onA = await socketOn(0, 'p', 'alice')
    const onC = await socketOn(2, 'p', 'alice')
    await watcher.waitFor((f) => f.type === 'tenant.user_joined' && f.data.userId === 'alice')
    await Bun.sleep(300)
    expect(presenceOf(watcher.frames, 'alice')).toEqual(['tenant.user_joined'])

    // Leave instance 2 and come back on instance 1 quickly: still online throughout.
    await onC.close()
    const back = await socketOn(1, 'p', 'alice')
    await Bun.sleep(1000)
    expect(presenceOf(watcher.frames, 'alice')).toEqual(['tenant.user_joined'])
    const listed = await fetch(`${cluster.urls[2]}/api/v4/presence`, {
      headers: { authorization: `Bearer ${await cluster.token('p', 'x')}` },
    }).then((r) => r.json() as Promise<{ data: { userId: string }[] }>)
    expect(listed.data.map((u) => u.userId).sort()).toEqual(['alice', 'watcher'])

    // Bob lives only on instance 0; alice is also on instance 1. Kill instance 0.
    const bob = await socketOn(0, 'p', 'bob')
    await watcher.waitFor((f) => f.type === 'tenant.user_joined' && f.data.userId === 'bob')
    void cluster.kill(0)
    await watcher.waitFor(
      (f) => f.type === 'tenant.user_left' && f.data.userId === 'bob',
      'bob expires',
      5000,
    )
    await Bun.sleep(500)
    expect(presenceOf(watcher.frames, 'bob')).toEqual(['tenant.user_joined', 'tenant.user_left'])
    expect(presenceOf(watcher.frames, 'alice')).toEqual(['tenant.user_joined'])

    await back.close()
    await watcher.waitFor(
      (f) => f.type === 'tenant.user_left' && f.data.userId === 'alice',
      'alice leaves',
      5000,
    )
    expect(presenceOf(watcher.frames, 'alice')).toEqual(['tenant.user_joined', 'tenant.user_left'])
    void onA
    void bob
    await watcher.close()
  }, 60_000)
})
