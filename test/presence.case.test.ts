// One contract for every presence store: in-process and Redis. Deadlines are absolute times; sweeps
// are given the time to judge them by, so expiry is tested without waiting for it.
import { afterAll, describe, expect, test } from 'bun:test'
import { Redis } from 'ioredis'
import { createPresenceStore, type PresenceStore } from '../src/presence/index.ts'
import { type PrivateRedis, redisServerPath, startPrivateRedis } from './harness/redis.ts'
import { servicesRequired } from './support/env.ts'

/** Two handles on one backend, as two instances would hold them. */
interface Backend {
  name: string
  isAvailable: boolean
  /** False in-process: one instance only, so "another instance" cases do not apply. */
  isShared: boolean
  pair(): Promise<[PresenceStore, PresenceStore]>
}

let redis: PrivateRedis | undefined
const clients: Redis[] = []
afterAll(async () => {
  for (const c of clients) c.disconnect()
  await redis?.stop()
})

const backends: Backend[] = [
  {
    name: 'local',
    isAvailable: true,
    isShared: false,
    pair: async () => {
      const store = createPresenceStore({ driver: 'local' })
      return [store, store]
    },
  },
  {
    name: 'redis',
    isAvailable: redisServerPath !== null || servicesRequired,
    isShared: true,
    pair: async () => {
      redis ??= await startPrivateRedis()
      const client = new Redis(redis.url)
      clients.push(client)
      const prefix = `case-${crypto.randomUUID().slice(0, 8)}`
      return [
        createPresenceStore({ driver: 'redis', redis: client, instanceId: 'a', prefix }),
        createPresenceStore({ driver: 'redis', redis: client, instanceId: 'b', prefix }),
      ]
    },
  },
]

let n = 0
const tenant = () => `tenant-${++n}`
const MINUTE = 60_000

for (const backend of backends) {
  describe.skipIf(!backend.isAvailable)(`presence contract: ${backend.name}`, () => {
    test('connect tells whether the user was offline everywhere', async () => {
      const [a, b] = await backend.pair()
      const alice = { tenantId: tenant(), userId: 'alice' }
      const until = Date.now() + MINUTE
      expect(await a.connect(alice, until)).toBe(true)
      expect(await a.connect(alice, until)).toBe(false)
      expect(await b.connect(alice, until)).toBe(false)
      expect(await a.connect({ ...alice, userId: 'bob' }, until)).toBe(true)
    })

    test('list names the live users of that tenant only, with their names', async () => {
      const [a, b] = await backend.pair()
      const [t1, t2] = [tenant(), tenant()]
      const now = Date.now()
      await a.connect({ tenantId: t1, userId: 'alice', name: 'Alice' }, now + MINUTE)
      await b.connect({ tenantId: t1, userId: 'bob' }, now + MINUTE)
      await a.connect({ tenantId: t2, userId: 'carol' }, now + MINUTE)
      const listed = await a.list(t1, now)
      expect(listed.sort((x, y) => x.userId.localeCompare(y.userId))).toEqual([
        { userId: 'alice', name: 'Alice' },
        { userId: 'bob' },
      ])
      expect(await b.list(t2, now)).toEqual([{ userId: 'carol' }])
      expect(await a.list(tenant(), now)).toEqual([])
    })

    test('a user whose last socket closed stays through the grace, then one sweep reports them', async () => {
      const [a] = await backend.pair()
      const alice = { tenantId: tenant(), userId: 'alice', name: 'Alice' }
      const now = Date.now()
      await a.connect(alice, now + MINUTE)
      await a.disconnect(alice, now + 500)
      expect(await a.list(alice.tenantId, now + 400)).toEqual([{ userId: 'alice', name: 'Alice' }])
      expect(await a.sweep([alice.tenantId], now + 400)).toEqual([])
      expect(await a.sweep([alice.tenantId], now + 600)).toEqual([alice])
      expect(await a.sweep([alice.tenantId], now + 700)).toEqual([])
      expect(await a.list(alice.tenantId, now + 700)).toEqual([])
    })

    test('refresh carries entries past their first deadline; without it they expire', async () => {
      const [a] = await backend.pair()
      const t = tenant()
      const now = Date.now()
      const kept = { tenantId: t, userId: 'kept' }
      const dropped = { tenantId: t, userId: 'dropped' }
      await a.connect(kept, now + 1000)
      await a.connect(dropped, now + 1000)
      await a.refresh([kept], now + MINUTE)
      expect(await a.sweep([t], now + 2000)).toEqual([dropped])
      expect(await a.list(t, now + 2000)).toEqual([{ userId: 'kept' }])
    })

    test('a sweep reaches only the tenants it names', async () => {
      const [a] = await backend.pair()
      const [t1, t2] = [tenant(), tenant()]
      const now = Date.now()
      await a.connect({ tenantId: t1, userId: 'alice' }, now + 1000)
      await a.connect({ tenantId: t2, userId: 'bob' }, now + 1000)
      expect(await a.sweep([t1], now + 2000)).toEqual([{ tenantId: t1, userId: 'alice' }])
      expect(await a.list(t2, now)).toEqual([{ userId: 'bob' }])
      expect(await a.sweep([t2], now + 2000)).toEqual([{ tenantId: t2, userId: 'bob' }])
    })

    test('sweeps at the same time report a departure once', async () => {
      const [a, b] = await backend.pair()
      const alice = { tenantId: tenant(), userId: 'alice' }
      const now = Date.now()
      await a.connect(alice, now + 1000)
      const swept = await Promise.all([
        a.sweep([alice.tenantId], now + 2000),
        b.sweep([alice.tenantId], now + 2000),
        a.sweep([alice.tenantId], now + 2000),
      ])
      expect(swept.flat()).toEqual([alice])
    })

    // In-process presence serves one instance: there is no other one to be live on.
    if (backend.isShared)
      test('a user live on another instance is not reported when this one’s entry expires', async () => {
        const [a, b] = await backend.pair()
        const alice = { tenantId: tenant(), userId: 'alice' }
        const now = Date.now()
        await a.connect(alice, now + 1000)
        await b.connect(alice, now + MINUTE)
        await a.disconnect(alice, now + 1000)
        expect(await a.sweep([alice.tenantId], now + 2000)).toEqual([])
        expect(await b.list(alice.tenantId, now + 2000)).toEqual([{ userId: 'alice' }])
        expect(await b.sweep([alice.tenantId], now + 2 * MINUTE)).toEqual([alice])
      })
  })
}
