// One contract for every bus: local, Redis, and a fault-injecting fake.
import { afterAll, describe, expect, test } from 'bun:test'
import { Redis } from 'ioredis'
import type { Bus } from '../src/bus/bus.ts'
import { createLocalBus } from '../src/bus/local.ts'
import { createRedisBus } from '../src/bus/redis.ts'
import { createLogger } from '../src/telemetry/logger.ts'
import { type PrivateRedis, redisServerPath, startPrivateRedis } from './harness/redis.ts'
import { servicesRequired } from './support/env.ts'
import { testEnvelope } from './support/envelopes.ts'

const log = createLogger('silent')
let seq = 0
const envelope = (tenant: string, origin: string) => testEnvelope(tenant, ++seq, origin)

/** Two handles on one backend, as two instances would hold them. */
interface Backend {
  name: string
  isAvailable: boolean
  /** False for the in-process bus: one process sees every tenant. */
  filtersByTenant: boolean
  pair(): Promise<[Bus, Bus]>
}

const redisServers: PrivateRedis[] = []
afterAll(async () => {
  for (const r of redisServers) await r.stop()
})

const backends: Backend[] = [
  {
    name: 'local',
    isAvailable: true,
    filtersByTenant: false,
    pair: async () => {
      const bus = createLocalBus()
      return [bus, bus]
    },
  },
  {
    name: 'redis',
    isAvailable: redisServerPath !== null || servicesRequired,
    filtersByTenant: true,
    pair: async () => {
      const redis = await startPrivateRedis()
      redisServers.push(redis)
      const make = (origin: string) =>
        createRedisBus({
          publisher: new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 }),
          subscriber: new Redis(redis.url),
          origin,
          isSharded: false,
          log,
        })
      const a = make('a')
      const b = make('b')
      for (let i = 0; i < 100 && !(a.isHealthy() && b.isHealthy()); i++) await Bun.sleep(20)
      return [a, b]
    },
  },
]

const until = async (cond: () => boolean, ms = 2000) => {
  for (const end = Date.now() + ms; !cond() && Date.now() < end; ) await Bun.sleep(10)
}

for (const backend of backends) {
  describe.skipIf(!backend.isAvailable)(`bus contract: ${backend.name}`, () => {
    test('the publisher’s own handlers get the envelope synchronously, once', async () => {
      const [a] = await backend.pair()
      const got: string[] = []
      a.subscribe((e) => got.push(e.id))
      await a.watch('t1')
      const e = envelope('t1', 'a')
      const published = a.publish(e)
      expect(got).toEqual([e.id]) // before the publish promise settles
      await published
      await Bun.sleep(100) // a Redis echo would arrive by now; it must be dropped
      expect(got).toEqual([e.id])
      await a.close()
    })

    test('another instance watching the tenant gets each envelope once, in publish order', async () => {
      const [a, b] = await backend.pair()
      const got: number[] = []
      b.subscribe((e) => e.kind === 'event' && got.push(e.seq))
      await b.watch('t2')
      const sent = [envelope('t2', 'a'), envelope('t2', 'a'), envelope('t2', 'a')]
      for (const e of sent) await a.publish(e)
      await until(() => got.length >= 3)
      await Bun.sleep(50)
      expect(got).toEqual(sent.map((e) => e.seq))
      await Promise.all([a.close(), b === a ? undefined : b.close()])
    })

    // Only buses that route by tenant can be asked this; the in-process bus serves one process.
    if (backend.filtersByTenant)
      test('an instance gets nothing for tenants it does not watch', async () => {
        const [a, b] = await backend.pair()
        const got: string[] = []
        b.subscribe((e) => got.push(e.tenant))
        await b.watch('mine')
        await a.publish(envelope('theirs', 'a'))
        await a.publish(envelope('mine', 'a'))
        await until(() => got.length >= 1)
        await Bun.sleep(50)
        expect(got).toEqual(['mine'])
        b.unwatch('mine')
        await Bun.sleep(50)
        await a.publish(envelope('mine', 'a'))
        await Bun.sleep(100)
        expect(got).toEqual(['mine'])
        await Promise.all([a.close(), b.close()])
      })

    test('isHealthy is true while connected', async () => {
      const [a] = await backend.pair()
      expect(a.isHealthy()).toBe(true)
      await a.close()
    })
  })
}

describe('bus contract: fault-injecting fake', () => {
  test('a failing publish rejects and delivers nothing', async () => {
    let failing = true
    const bus = createLocalBus({ shouldFailPublish: () => failing })
    const got: string[] = []
    bus.subscribe((e) => got.push(e.id))
    await expect(bus.publish(envelope('t', 'a'))).rejects.toThrow('injected')
    expect(got).toEqual([])
    failing = false
    await bus.publish(envelope('t', 'a'))
    expect(got).toHaveLength(1)
  })
})

describe.skipIf(redisServerPath === null && !servicesRequired)(
  'Redis bus through an outage',
  () => {
    test('unhealthy while Redis is down, publish rejects but local delivery continues; recovers with subscriptions', async () => {
      const redis = await startPrivateRedis()
      redisServers.push(redis)
      const make = (origin: string) =>
        createRedisBus({
          publisher: new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 }),
          subscriber: new Redis(redis.url, { retryStrategy: () => 100 }),
          origin,
          isSharded: false,
          log,
        })
      const a = make('a')
      const b = make('b')
      await until(() => a.isHealthy() && b.isHealthy())
      const localGot: string[] = []
      const remoteGot: string[] = []
      let recovered = 0
      a.subscribe((e) => localGot.push(e.id))
      b.subscribe((e) => remoteGot.push(e.id))
      b.onRecover(() => recovered++)
      await b.watch('t')

      await redis.kill()
      await until(() => !a.isHealthy())
      expect(a.isHealthy()).toBe(false)
      const during = envelope('t', 'a')
      await expect(a.publish(during)).rejects.toThrow()
      expect(localGot).toEqual([during.id])

      await redis.start()
      await until(() => a.isHealthy() && b.isHealthy() && recovered > 0, 5000)
      expect(recovered).toBe(1)
      const after = envelope('t', 'a')
      await a.publish(after)
      await until(() => remoteGot.length > 0)
      expect(remoteGot).toEqual([after.id]) // subscription restored; what was sent during the outage is gone
      await Promise.all([a.close(), b.close()])
    }, 20_000)
  },
)
