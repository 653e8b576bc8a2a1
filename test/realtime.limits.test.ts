// Every WebSocket limit: connection caps, message rate, frame size, slow consumers, heartbeat, bad input.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Database } from '../src/db/database.ts'
import type { Instance } from '../src/server.ts'
import { type Metrics, startMetrics } from '../src/telemetry/metrics.ts'
import { buildTestApp, type TestApp } from './support/app.ts'
import { pgliteBackend } from './support/db.ts'
import { testMemory } from './support/envelopes.ts'
import { openSocket, startTestInstance, wsUrl } from './support/realtime.ts'

const python = Bun.which('python3')
const slowConsumer = new URL('./clients/slow_consumer.py', import.meta.url).pathname

describe('WebSocket limits', () => {
  let database: Database
  let t: TestApp
  const instances: Instance[] = []
  beforeAll(async () => {
    database = await pgliteBackend.open()
    t = buildTestApp(database)
  })
  afterAll(async () => {
    for (const i of instances) await i.stop()
  })
  const start = (env: Record<string, string>, metrics?: Metrics) => {
    const i = startTestInstance(database, env, metrics ? { metrics } : {})
    instances.push(i)
    return i
  }
  /** The value of the sample of `name` with the label `label` (`k="v"`), 0 when absent. */
  const sample = async (metrics: Metrics, series: string) => {
    const [name, label] = series.slice(0, -1).split('{') as [string, string]
    const line = (await metrics.render())
      .split('\n')
      .find((l) => l.startsWith(`${name}{`) && l.includes(label))
    return line ? Number(line.split(' ').at(-1)) : 0
  }

  const tryUpgrade = (instance: Instance, token: string) =>
    fetch(`${wsUrl(instance, `?token=${token}`).replace('ws', 'http')}`, {
      headers: {
        upgrade: 'websocket',
        connection: 'Upgrade',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-version': '13',
      },
    })

  test('connection caps: per user and per tenant → 429, per instance → 503, each with Retry-After', async () => {
    const instance = start({
      WEBSOCKET_MAX_CONNECTIONS: '4',
      WEBSOCKET_MAX_CONNECTIONS_PER_TENANT: '3',
      WEBSOCKET_MAX_CONNECTIONS_PER_USER: '2',
    })
    const tenant = t.tenant()
    const alice = await t.token(tenant, 'alice')
    const open = [
      await openSocket(wsUrl(instance, `?token=${alice}`)),
      await openSocket(wsUrl(instance, `?token=${alice}`)),
    ]
    const perUser = await tryUpgrade(instance, alice)
    expect(perUser.status).toBe(429)
    expect(perUser.headers.get('retry-after')).toBeTruthy()
    expect(((await perUser.json()) as { error: { code: string } }).error.code).toBe(
      'too_many_connections',
    )

    open.push(await openSocket(wsUrl(instance, `?token=${await t.token(tenant, 'bob')}`)))
    const perTenant = await tryUpgrade(instance, await t.token(tenant, 'carol'))
    expect(perTenant.status).toBe(429)

    open.push(await openSocket(wsUrl(instance, `?token=${await t.token(t.tenant(), 'x')}`)))
    const perInstance = await tryUpgrade(instance, await t.token(t.tenant(), 'y'))
    expect(perInstance.status).toBe(503)
    expect(perInstance.headers.get('retry-after')).toBeTruthy()

    await open[0]?.close()
    const again = await openSocket(wsUrl(instance, `?token=${await t.token(t.tenant(), 'z')}`))
    expect(again.frames[0]?.type).toBe('connected')
    await Promise.all([...open.slice(1), again].map((s) => s.close()))
  })

  test('message rate: over the bucket → rate_limited errors; persisting → close 1008', async () => {
    const instance = start({ WEBSOCKET_RATE_LIMIT: '5', WEBSOCKET_RATE_BURST: '5' })
    const s = await openSocket(wsUrl(instance, `?token=${await t.token(t.tenant(), 'spammer')}`))
    for (let i = 0; i < 8; i++) s.send('ping')
    await s.waitFor((f) => f.type === 'error' && f.data.code === 'rate_limited', 'rate_limited')
    expect(s.of('pong').length).toBe(5)
    expect(s.ws.readyState).toBe(WebSocket.OPEN)
    for (let i = 0; i < 40; i++) s.send('ping')
    expect((await s.closed).code).toBe(1008)
  })

  test('a frame over the size limit closes with 1009; others on the instance notice nothing', async () => {
    const instance = start({ WEBSOCKET_MAX_MESSAGE_BYTES: '1024' })
    const bystander = await openSocket(wsUrl(instance, `?token=${await t.token(t.tenant(), 'b')}`))
    const s = await openSocket(wsUrl(instance, `?token=${await t.token(t.tenant(), 'big')}`))
    s.send('ping', { pad: 'x'.repeat(2000) })
    expect((await s.closed).code).toBe(1009)
    bystander.send('ping', {}, 'still-here')
    await bystander.waitFor((f) => f.id === 'still-here')
    await bystander.close()
  })

  test.skipIf(!python)(
    'a consumer that stops reading is closed with 1013; fast clients lose nothing',
    async () => {
      const metrics = startMetrics({ serviceName: 'puo-memo', instanceId: 'slow', version: 'test' })
      const instance = start({ WEBSOCKET_BACKPRESSURE_LIMIT: '262144' }, metrics)
      const tenant = t.tenant()
      const token = await t.token(tenant, 'slow')
      const fast = await openSocket(wsUrl(instance, `?token=${await t.token(tenant, 'fast')}`))
      await fast.subscribe('memories')
      const port = new URL(instance.url).port
      const proc = Bun.spawn([python as string, slowConsumer, '127.0.0.1', port, token, '4'], {
        stdout: 'pipe',
        stderr: 'inherit',
      })
      const reader = proc.stdout.getReader()
      const first = new TextDecoder().decode((await reader.read()).value)
      expect(first).toContain('ready')

      const pad = 'x'.repeat(16_000)
      let published = 0
      const publish = () => {
        published++
        void instance.bus.publish({
          kind: 'event',
          id: crypto.randomUUID(),
          origin: 'test',
          tenant,
          seq: published,
          event: {
            id: crypto.randomUUID(),
            tenantId: tenant,
            seq: published,
            type: 'memory.created',
            memoryId: crypto.randomUUID(),
            ownerId: 'someone',
            visibility: 'team',
            payload: { memory: testMemory(tenant, { content: pad }) },
            createdAt: new Date().toISOString(),
          },
        })
      }
      // Publish until the server gives up on the consumer, then ten more: those can no longer reach
      // it, however much of the backlog the kernel's buffers took in before (the client pauses 4 s).
      const rejected = 'puo_ws_limit_rejections_total{limit="backpressure"}'
      const deadline = performance.now() + 3500
      while (performance.now() < deadline) {
        if (published % 10 === 0 && (await sample(metrics, rejected)) > 0) break
        publish()
        await Bun.sleep(10)
      }
      for (let i = 0; i < 10; i++) {
        publish()
        await Bun.sleep(10)
      }
      let out = ''
      for (let r = await reader.read(); !r.done; r = await reader.read())
        out += new TextDecoder().decode(r.value)
      const result = JSON.parse(out.trim().split('\n').at(-1) as string) as {
        close_code: number
        frames: number
      }
      expect(result).toMatchObject({ close_code: 1013, error: null })
      expect(result.frames).toBeLessThan(published)
      // The metrics say what the client saw: one close with 1013, one backpressure rejection.
      // (the server's close handler runs once the client's close frame is back: wait for it)
      const closed = 'puo_ws_connections_closed_total{close_code="1013"}'
      for (let i = 0; i < 50 && (await sample(metrics, closed)) === 0; i++) await Bun.sleep(100)
      expect(await sample(metrics, closed)).toBe(1)
      expect(await sample(metrics, 'puo_ws_connections_closed_total{close_code="1006"}')).toBe(0)
      expect(await sample(metrics, 'puo_ws_limit_rejections_total{limit="backpressure"}')).toBe(1)
      await fast.waitFor(
        () => fast.of('memory.created').length >= published,
        'all events on the fast client',
      )
      expect(fast.of('memory.created').map((f) => f.seq)).toEqual(
        Array.from({ length: published }, (_, i) => i + 1),
      )
      await fast.close()
      await metrics.shutdown()
    },
    20_000,
  )

  test.skipIf(!python)(
    'a peer that answers no pings is closed after the timeout; a live one stays',
    async () => {
      const instance = start({ WEBSOCKET_PING_INTERVAL: '1', WEBSOCKET_TIMEOUT: '2' })
      const live = await openSocket(wsUrl(instance, `?token=${await t.token(t.tenant(), 'live')}`))
      const port = new URL(instance.url).port
      const proc = Bun.spawn(
        [python as string, slowConsumer, '127.0.0.1', port, await t.token(t.tenant(), 'dead'), '4'],
        {
          stdout: 'pipe',
        },
      )
      const out = await new Response(proc.stdout).text()
      const result = JSON.parse(out.trim().split('\n').at(-1) as string) as { close_code: number }
      expect(result.close_code).toBe(4002)
      expect(live.ws.readyState).toBe(WebSocket.OPEN)
      await live.close()
    },
    20_000,
  )

  test('fuzz: random bytes, wrong types and deep nesting leave the server up and others untouched', async () => {
    const instance = start({ WEBSOCKET_RATE_LIMIT: '10000', WEBSOCKET_RATE_BURST: '10000' })
    const tenant = t.tenant()
    const bystander = await openSocket(wsUrl(instance, `?token=${await t.token(tenant, 'calm')}`))
    await bystander.subscribe('memories')
    const fuzzer = await openSocket(wsUrl(instance, `?token=${await t.token(tenant, 'fuzz')}`))
    const deep = `${'['.repeat(5000)}${']'.repeat(5000)}`
    const deepObject = `${'{"a":'.repeat(2500)}1${'}'.repeat(2500)}` // just under the 16 KiB frame limit
    const samples: (string | Uint8Array<ArrayBuffer>)[] = [
      deep,
      deepObject,
      'null',
      '0',
      '"ping"',
      '{"type":null}',
      '{"type":"subscribe"}',
      '{"type":"subscribe","data":{"channel":"memories","extra":{"__proto__":{"x":1}}}}',
      '{"type":"ping","id":{"nested":true}}',
      '{"type":"unsubscribe","data":"memories"}',
      `{"type":"${'p'.repeat(5000)}"}`,
      '\u0000\u0001\u0002',
    ]
    for (let i = 0; i < 60; i++)
      samples.push(crypto.getRandomValues(new Uint8Array(1 + Math.floor(Math.random() * 200))))
    for (const sample of samples) fuzzer.sendRaw(sample)
    fuzzer.send('ping', {}, 'after-fuzz')
    await fuzzer.waitFor((f) => f.id === 'after-fuzz', 'pong after fuzz')
    expect(fuzzer.ws.readyState).toBe(WebSocket.OPEN)
    expect(fuzzer.of('error').length).toBeGreaterThanOrEqual(samples.length - 2)
    expect(bystander.frames.map((f) => f.type)).toEqual(['connected', 'subscribed'])
    const health = await fetch(`${instance.url}/health`)
    expect(health.status).toBe(200)
    await Promise.all([fuzzer.close(), bystander.close()])
  })
})
