// Withdrawn credentials end their sockets: a revoked API key on every instance (through the bus,
// and by the periodic key check when the bus lost the announcement), and a user-wide disconnect.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Redis } from 'ioredis'
import { createApiKey, revokeKey } from '../src/api-keys/service.ts'
import { signToken } from '../src/auth/jwt.ts'
import { createRedisBus } from '../src/bus/redis.ts'
import { PuoMemoWebSocket } from '../src/client/puo-memo-websocket.ts'
import type { Database } from '../src/db/database.ts'
import { createLogger } from '../src/telemetry/logger.ts'
import { type PrivateRedis, redisServerPath, startPrivateRedis } from './harness/redis.ts'
import { createWithRetry, TEST_SECRET } from './support/app.ts'
import { pgliteBackend } from './support/db.ts'
import { servicesRequired } from './support/env.ts'
import { disconnectEnvelope } from './support/envelopes.ts'
import { openSocket, startTestInstance, type TestInstance, wsUrl } from './support/realtime.ts'

const REVOKED = 4403

describe.skipIf(!(redisServerPath !== null || servicesRequired))('API key revocation', () => {
  let redis: PrivateRedis
  let database: Database
  let a: TestInstance
  let b: TestInstance
  beforeAll(async () => {
    redis = await startPrivateRedis()
    database = await pgliteBackend.open()
    const busFor = (origin: string) =>
      createRedisBus({
        publisher: new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 }),
        subscriber: new Redis(redis.url),
        origin,
        isSharded: false,
        log: createLogger('silent'),
      })
    // A long log sync keeps the periodic key check out of the bus test.
    a = startTestInstance(database, { EVENT_SYNC_INTERVAL_MS: '60000' }, { bus: busFor('a') })
    b = startTestInstance(database, { EVENT_SYNC_INTERVAL_MS: '60000' }, { bus: busFor('b') })
    await Bun.sleep(300)
  })
  afterAll(async () => {
    await a?.stop()
    await b?.stop()
    await redis?.stop()
  })

  test('revoking over HTTP on one instance closes the key’s sockets on another with 4403 within 2 s', async () => {
    const tenant = `t-${crypto.randomUUID().slice(0, 8)}`
    const key = await createApiKey(database.db, {
      tenantId: tenant,
      userId: 'bot',
      name: 'ci',
      scopes: ['read', 'write'],
    })
    const viaKey = await openSocket(wsUrl(b, `?token=${key.key}`))
    await viaKey.subscribe('memories')
    const jwt = await signToken(TEST_SECRET, { tenantId: tenant, userId: 'bot' })
    const viaJwt = await openSocket(wsUrl(b, `?token=${jwt}`))
    await viaJwt.subscribe('memories')
    const admin = await signToken(TEST_SECRET, {
      tenantId: tenant,
      userId: 'root',
      scopes: ['admin'],
    })

    const t0 = Date.now()
    const res = await fetch(`${a.url}/api/v4/api-keys/${key.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${admin}` },
    })
    expect(res.status).toBe(200)
    const closed = await Promise.race([viaKey.closed, Bun.sleep(2000).then(() => null)])
    expect(closed?.code).toBe(REVOKED)
    expect(Date.now() - t0).toBeLessThan(2000)

    // The other socket of the same user, opened with a JWT, keeps receiving; the key gets nothing more.
    const content = await createWithRetry(a.url, jwt, `after revocation ${crypto.randomUUID()}`)
    await viaJwt.waitFor((f) => f.type === 'memory.created' && f.data.memory.content === content)
    expect(viaKey.frames.some((f) => f.data?.memory?.content === content)).toBe(false)
    const again = await fetch(`${b.url}/api/v4/memories`, { headers: { 'x-api-key': key.key } })
    expect(again.status).toBe(401)
    await viaJwt.close()
  })

  test('the SDK stops on 4403: state closed, one closed event, no reconnect', async () => {
    const tenant = `t-${crypto.randomUUID().slice(0, 8)}`
    const key = await createApiKey(database.db, {
      tenantId: tenant,
      userId: 'bot',
      name: 'sdk',
      scopes: ['read'],
    })
    const client = new PuoMemoWebSocket(key.key, {
      url: wsUrl(b),
      reconnect: { minMs: 50, maxMs: 100 },
    })
    const closedEvents: { code: number }[] = []
    const states: string[] = []
    client.on('closed', (e: { code: number }) => closedEvents.push(e))
    client.on('state', (s: string) => states.push(s))
    const subscribed = new Promise((resolve) => client.on('subscribed', resolve))
    client.connect()
    await subscribed
    await fetch(`${a.url}/api/v4/api-keys/${key.id}`, {
      method: 'DELETE',
      headers: {
        authorization: `Bearer ${await signToken(TEST_SECRET, { tenantId: tenant, userId: 'r', scopes: ['admin'] })}`,
      },
    })
    for (let i = 0; i < 100 && client.state !== 'closed'; i++) await Bun.sleep(20)
    await Bun.sleep(500)
    expect(client.state).toBe('closed')
    expect(closedEvents.map((e) => e.code)).toEqual([REVOKED])
    expect(states.filter((s) => s === 'connecting' || s === 'reconnecting')).toHaveLength(1)
  })
})

describe('credential checks without the bus', () => {
  let database: Database
  let instance: TestInstance
  beforeAll(async () => {
    database = await pgliteBackend.open()
    instance = startTestInstance(database, { EVENT_SYNC_INTERVAL_MS: '500' })
  })
  afterAll(async () => {
    await instance?.stop()
  })

  test('a key revoked where no announcement reaches this instance is closed by the periodic check', async () => {
    const tenant = `t-${crypto.randomUUID().slice(0, 8)}`
    const key = await createApiKey(database.db, {
      tenantId: tenant,
      userId: 'bot',
      name: 'quiet',
      scopes: ['read'],
    })
    const ws = await openSocket(wsUrl(instance, `?token=${key.key}`))
    await ws.subscribe('memories')
    // Straight in the database, as another instance's revocation with a lost bus message looks here.
    await revokeKey(database.db, tenant, key.id)
    const closed = await Promise.race([ws.closed, Bun.sleep(2000).then(() => null)])
    expect(closed?.code).toBe(REVOKED)
  })

  test('a user-wide disconnect on the bus ends every socket of that user, and only theirs', async () => {
    const tenant = `t-${crypto.randomUUID().slice(0, 8)}`
    const token = (user: string) => signToken(TEST_SECRET, { tenantId: tenant, userId: user })
    const first = await openSocket(wsUrl(instance, `?token=${await token('mallory')}`))
    const second = await openSocket(wsUrl(instance, `?token=${await token('mallory')}`))
    const other = await openSocket(wsUrl(instance, `?token=${await token('alice')}`))
    await other.subscribe('memories')
    void instance.bus.publish(disconnectEnvelope(tenant, 'mallory'))
    for (const ws of [first, second]) {
      const closed = await Promise.race([ws.closed, Bun.sleep(2000).then(() => null)])
      expect(closed).toEqual({ code: REVOKED, reason: 'disconnected by an admin' })
    }
    const content = await createWithRetry(instance.url, await token('alice'), 'still here')
    await other.waitFor((f) => f.type === 'memory.created' && f.data.memory.content === content)
    await other.close()
  })
})
