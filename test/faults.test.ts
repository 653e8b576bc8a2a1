// Faults: a writer that never publishes, Redis down (degraded, local delivery goes on), PostgreSQL down (503).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { signToken } from '../src/auth/jwt.ts'
import { createLocalBus } from '../src/bus/local.ts'
import { createRedisBus } from '../src/bus/redis.ts'
import type { Database } from '../src/db/database.ts'
import { openPostgres } from '../src/db/postgres.ts'
import type { Instance } from '../src/server.ts'
import { createLogger } from '../src/telemetry/logger.ts'
import { type PrivateRedis, redisServerPath, startPrivateRedis } from './harness/redis.ts'
import { startServer } from './harness/server.ts'
import { startTcpProxy } from './harness/tcp-proxy.ts'
import { TEST_SECRET } from './support/app.ts'
import { freshPostgresUrl } from './support/db.ts'
import { postgresUrl } from './support/env.ts'
import { openSocket, startTestInstance, wsUrl } from './support/realtime.ts'

const isAvailable = postgresUrl !== undefined && redisServerPath !== null
const log = createLogger('silent')
const token = (tenantId: string, userId: string) => signToken(TEST_SECRET, { tenantId, userId })
const postTo = (instance: Instance, tok: string, content: string) =>
  fetch(`${instance.url}/api/v4/memories`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' },
    body: JSON.stringify({ content, visibility: 'team' }),
  })

describe.skipIf(!isAvailable)('faults', () => {
  let redis: PrivateRedis
  let databaseUrl: string
  let database: Database
  const instances: Instance[] = []
  const buses: { close(): Promise<void> }[] = []
  const redisBus = (origin: string) => {
    const bus = createRedisBus({
      publisher: new Redis(redis.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 }),
      subscriber: new Redis(redis.url, { maxRetriesPerRequest: null, retryStrategy: () => 100 }),
      origin,
      isSharded: false,
      log,
    })
    buses.push(bus)
    return bus
  }
  beforeAll(async () => {
    redis = await startPrivateRedis()
    databaseUrl = await freshPostgresUrl(postgresUrl as string)
    database = openPostgres({ url: databaseUrl, max: 5 })
    await database.migrate()
  })
  afterAll(async () => {
    for (const i of instances) await i.stop()
    for (const b of buses) await b.close()
    await database?.close()
    await redis?.stop()
  })
  const start = (env: Record<string, string>, bus = redisBus(crypto.randomUUID())) => {
    const i = startTestInstance(database, { EVENT_SYNC_INTERVAL_MS: '200', ...env }, { bus })
    instances.push(i)
    return i
  }

  test('a writer that dies between commit and publish: the event still reaches other instances', async () => {
    const reader = start({})
    const silentWriter = start({}, createLocalBus({ shouldFailPublish: () => true }))
    const tok = await token('crash', 'alice')
    const s = await openSocket(wsUrl(reader, `?token=${tok}`))
    await s.subscribe('memories')
    expect((await postTo(silentWriter, tok, 'committed, never published')).status).toBe(201)
    const f = await s.waitFor((x) => x.type === 'memory.created', 'event from the log', 5000)
    expect(f.data.memory.content).toBe('committed, never published')
    await s.close()
  })

  test('Redis down: writes succeed, health is degraded, both instances keep delivering; Redis back: healthy', async () => {
    const a = start({})
    const b = start({})
    const tok = await token('redis-down', 'alice')
    const onA = await openSocket(wsUrl(a, `?token=${tok}`))
    const onB = await openSocket(wsUrl(b, `?token=${tok}`))
    await onA.subscribe('memories')
    await onB.subscribe('memories')
    await redis.kill()
    try {
      const health = await fetch(`${a.url}/health`)
      expect(health.status).toBe(200)
      expect(await health.json()).toMatchObject({
        status: 'degraded',
        failing: ['bus'],
        bus: { status: 'down' },
      })
      expect((await postTo(a, tok, 'during the outage')).status).toBe(201)
      const local = await onA.waitFor((x) => x.type === 'memory.created', 'local delivery', 1000)
      expect(local.data.memory.content).toBe('during the outage')
      const remote = await onB.waitFor(
        (x) => x.type === 'memory.created',
        'delivery from the log',
        5000,
      )
      expect(remote.id).toBe(local.id)
    } finally {
      await redis.start()
    }
    for (
      let i = 0;
      i < 100 &&
      ((await (await fetch(`${a.url}/health`)).json()) as { status: string }).status !== 'ok';
      i++
    ) {
      await Bun.sleep(100)
    }
    expect(((await (await fetch(`${a.url}/health`)).json()) as { status: string }).status).toBe(
      'ok',
    )
    expect((await postTo(b, tok, 'after')).status).toBe(201)
    await onA.waitFor(
      (x) => x.type === 'memory.created' && x.data.memory.content === 'after',
      'after recovery',
    )
    await Promise.all([onA.close(), onB.close()])
  }, 30_000)

  test('PostgreSQL unreachable: REST answers 503, sockets stay open; it recovers when the database returns', async () => {
    // A real server process, so the outage runs with everything main.ts installs at boot.
    const target = new URL(databaseUrl)
    const proxy = await startTcpProxy(target.hostname, Number(target.port || 5432))
    const viaProxy = new URL(databaseUrl)
    viaProxy.port = String(proxy.port)
    const server = await startServer({
      DATABASE_URL: viaProxy.toString(),
      JWT_SECRET: TEST_SECRET,
      EVENT_SYNC_INTERVAL_MS: '200',
      DATA_DIR: mkdtempSync(join(tmpdir(), 'puo-pgdown-')),
    })
    const post = (content: string) =>
      fetch(`${server.url}/api/v4/memories`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' },
        body: JSON.stringify({ content, visibility: 'team' }),
      })
    const tok = await token('pg-down', 'alice')
    try {
      const s = await openSocket(`${server.url.replace('http', 'ws')}/api/v4/ws?token=${tok}`)
      await s.subscribe('memories')
      proxy.cut()
      const write = await post('refused')
      expect(write.status).toBe(503)
      expect(((await write.json()) as { error: { code: string } }).error.code).toBe(
        'database_unavailable',
      )
      expect((await fetch(`${server.url}/health`)).status).toBe(503)
      await Bun.sleep(1000) // background work (sync, embeddings) keeps hitting the dead connections
      const pong = s.send('ping')
      await s.waitFor((f) => f.id === pong, 'pong while the database is down')
      expect(s.ws.readyState).toBe(WebSocket.OPEN)

      proxy.restore()
      let status = 0
      for (let i = 0; i < 50 && status !== 201; i++) {
        status = (await post('accepted again')).status
        if (status !== 201) await Bun.sleep(200)
      }
      expect(status).toBe(201)
      await s.waitFor(
        (f) => f.type === 'memory.created' && f.data.memory.content === 'accepted again',
        'event after recovery',
        15_000,
      )
      expect(s.of('memory.created').some((f) => f.data.memory.content === 'refused')).toBe(false)
      let health = 0
      for (let i = 0; i < 50 && health !== 200; i++) {
        health = (await fetch(`${server.url}/health`)).status
        if (health !== 200) await Bun.sleep(100)
      }
      expect(health).toBe(200)
      // The refused create is counted with the status the client got, not as a 500.
      const metrics = await (await fetch(`${server.url}/metrics`)).text()
      const creates = metrics
        .split('\n')
        .filter((l) => l.startsWith('http_server_request_duration_count{') && l.includes('POST'))
      expect(creates.some((l) => l.includes('http_response_status_code="503"'))).toBe(true)
      expect(creates.some((l) => l.includes('http_response_status_code="500"'))).toBe(false)
      // …and as a database outage, on the dashboard's "Database errors by kind" series.
      const outage = metrics
        .split('\n')
        .find((l) => l.startsWith('puo_db_errors_total{') && l.includes('error_type="unavailable"'))
      expect(Number(outage?.split(' ').at(-1))).toBeGreaterThanOrEqual(1)
      expect(server.proc.exitCode).toBeNull()
      await s.close()
    } finally {
      await server.stop()
      proxy.stop()
    }
  }, 60_000)
})
