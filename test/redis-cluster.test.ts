// Redis Cluster with sharded pub/sub: a real local 3-node cluster, the bus contract, and two instances.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createRedisBus } from '../src/bus/redis.ts'
import { connectRedis } from '../src/bus/redis-clients.ts'
import { createLogger } from '../src/telemetry/logger.ts'
import { type Cluster, startCluster } from './harness/cluster.ts'
import {
  type PrivateRedisCluster,
  redisServerPath,
  startPrivateRedisCluster,
} from './harness/redis.ts'
import { freshPostgresUrl } from './support/db.ts'
import { postgresUrl } from './support/env.ts'
import { testEnvelope } from './support/envelopes.ts'
import { openSocket } from './support/realtime.ts'

const isAvailable = redisServerPath !== null && Bun.which('redis-cli') !== null
const log = createLogger('silent')

const envelope = (tenant: string, seq: number) => testEnvelope(tenant, seq)

describe.skipIf(!isAvailable)('Redis Cluster, sharded pub/sub', () => {
  let rc: PrivateRedisCluster
  beforeAll(async () => {
    rc = await startPrivateRedisCluster()
  }, 60_000)
  afterAll(async () => {
    await rc?.stop()
  })

  test('SPUBLISH reaches an SSUBSCRIBEd instance for tenants on every shard, and only watched ones', async () => {
    const a = createRedisBus({ ...connectRedis(rc.url, 'cluster'), origin: 'a', log })
    const b = createRedisBus({ ...connectRedis(rc.url, 'cluster'), origin: 'b', log })
    for (let i = 0; i < 100 && !(a.isHealthy() && b.isHealthy()); i++) await Bun.sleep(50)
    expect(a.name).toBe('redis-sharded')
    const got: string[] = []
    b.subscribe((e) => got.push(e.tenant))
    // Enough tenants that their channels hash to all three masters.
    const tenants = Array.from({ length: 12 }, (_, i) => `tenant-${i}`)
    for (const t of tenants) await b.watch(t)
    await Bun.sleep(200)
    for (const [i, t] of tenants.entries()) await a.publish(envelope(t, i + 1))
    await a.publish(envelope('unwatched', 1))
    for (let i = 0; i < 100 && got.length < tenants.length; i++) await Bun.sleep(20)
    await Bun.sleep(100)
    expect(got.sort()).toEqual([...tenants].sort())
    await Promise.all([a.close(), b.close()])
  }, 30_000)

  describe.skipIf(!postgresUrl)('two instances with REDIS_MODE=cluster', () => {
    let cluster: Cluster
    beforeAll(async () => {
      cluster = await startCluster({
        instances: 2,
        database: { url: await freshPostgresUrl(postgresUrl as string) },
        redisUrl: rc.url,
        env: { REDIS_MODE: 'cluster', EVENT_SYNC_INTERVAL_MS: '500' },
      })
    }, 60_000)
    afterAll(async () => {
      await cluster?.stop()
    })

    test('an event written on one instance reaches a socket on the other, and presence is shared', async () => {
      const reader = await openSocket(
        `${cluster.urls[1]?.replace('http', 'ws')}/api/v4/ws?token=${await cluster.token('rc', 'reader')}`,
      )
      await reader.subscribe('memories')
      await reader.subscribe('tenant')
      const writerToken = await cluster.token('rc', 'writer')
      const writer = await openSocket(
        `${cluster.urls[0]?.replace('http', 'ws')}/api/v4/ws?token=${writerToken}`,
      )
      await reader.waitFor(
        (f) => f.type === 'tenant.user_joined' && f.data.userId === 'writer',
        'presence across shards',
      )
      const res = await fetch(`${cluster.urls[0]}/api/v4/memories`, {
        method: 'POST',
        headers: { authorization: `Bearer ${writerToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ content: 'sharded', visibility: 'team' }),
      })
      expect(res.status).toBe(201)
      const f = await reader.waitFor((x) => x.type === 'memory.created')
      expect(f.data.memory.content).toBe('sharded')
      const health = (await (await fetch(`${cluster.urls[0]}/health`)).json()) as {
        bus: { driver: string; status: string }
      }
      expect(health.bus).toEqual({ driver: 'redis-sharded', status: 'up' })
      await Promise.all([reader.close(), writer.close()])
    }, 30_000)
  })
})
