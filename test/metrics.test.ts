// GET /metrics: the instruments report what the traffic did (connections, frames, deliveries, HTTP).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { signToken } from '../src/auth/jwt.ts'
import { createLocalBus } from '../src/bus/local.ts'
import type { Instance } from '../src/server.ts'
import { startMetrics } from '../src/telemetry/metrics.ts'
import { startServer } from './harness/server.ts'
import { TEST_SECRET } from './support/app.ts'
import { pgliteBackend } from './support/db.ts'
import { openSocket, startTestInstance, wsUrl } from './support/realtime.ts'

/** The value of one series, found by name and a label fragment (e.g. 'message_type="subscribe"'). */
function value(text: string, name: string, labels = ''): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) && line.includes(labels))
      return Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return undefined
}

describe('metrics', () => {
  let instance: Instance
  beforeAll(async () => {
    const metrics = startMetrics({
      serviceName: 'puo-memo',
      instanceId: 'metrics-test',
      version: 'test',
    })
    instance = startTestInstance(
      await pgliteBackend.open(),
      { WEBSOCKET_MAX_CONNECTIONS_PER_USER: '2' },
      { metrics },
    )
  })
  afterAll(() => instance.stop())

  test('series match the traffic this test generated', async () => {
    const tok = await signToken(TEST_SECRET, { tenantId: 'metrics', userId: 'alice' })
    const a = await openSocket(wsUrl(instance, `?token=${tok}`))
    const b = await openSocket(wsUrl(instance, `?token=${tok}`))
    const refused = await fetch(`${instance.url}/api/v4/ws?token=${tok}`, {
      headers: {
        upgrade: 'websocket',
        connection: 'Upgrade',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-version': '13',
      },
    })
    expect(refused.status).toBe(429)
    await a.subscribe('memories')
    await b.subscribe('memories')
    a.send('ping')
    await a.waitFor((f) => f.type === 'pong')
    const res = await fetch(`${instance.url}/api/v4/memories`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'measured', visibility: 'team' }),
    })
    expect(res.status).toBe(201)
    await a.waitFor((f) => f.type === 'memory.created')
    await b.waitFor((f) => f.type === 'memory.created')
    await b.close()

    const metrics = await fetch(`${instance.url}/metrics`)
    expect(metrics.headers.get('content-type')).toContain('text/plain')
    const text = await metrics.text()
    expect(value(text, 'puo_ws_connections_active')).toBe(1)
    expect(value(text, 'puo_ws_connections_opened_total')).toBe(2)
    expect(value(text, 'puo_ws_connections_closed_total', 'close_code="1000"')).toBe(1)
    expect(value(text, 'puo_ws_messages_received_total', 'message_type="subscribe"')).toBe(2)
    expect(value(text, 'puo_ws_messages_received_total', 'message_type="ping"')).toBe(1)
    expect(value(text, 'puo_ws_messages_sent_total', 'message_type="memory.created"')).toBe(2)
    expect(value(text, 'puo_ws_limit_rejections_total', 'limit="user_connections"')).toBe(1)
    expect(value(text, 'puo_event_delivery_latency_count')).toBeGreaterThanOrEqual(1)
    expect(
      value(
        text,
        'http_server_request_duration_count',
        'http_route="/api/v4/memories",http_response_status_code="201"',
      ),
    ).toBe(1)
    expect(text).not.toContain('metrics"') // no tenant ids in labels
    await a.close()
  })

  test('a bus that loses events shows as publish errors and events filled from the log', async () => {
    const metrics = startMetrics({ serviceName: 'puo-memo', instanceId: 'lossy', version: 'test' })
    const lossy = startTestInstance(
      await pgliteBackend.open(),
      { EVENT_SYNC_INTERVAL_MS: '100' },
      { metrics, bus: createLocalBus({ shouldFailPublish: () => true }) },
    )
    try {
      const tok = await signToken(TEST_SECRET, { tenantId: 'metrics-lossy', userId: 'alice' })
      const s = await openSocket(wsUrl(lossy, `?token=${tok}`))
      await s.subscribe('memories')
      await fetch(`${lossy.url}/api/v4/memories`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' },
        body: JSON.stringify({ content: 'lost by the bus', visibility: 'team' }),
      })
      await s.waitFor((f) => f.type === 'memory.created', 'event from the log')
      const text = await (await fetch(`${lossy.url}/metrics`)).text()
      expect(value(text, 'puo_bus_publish_errors_total')).toBeGreaterThanOrEqual(1)
      expect(value(text, 'puo_events_filled_from_log_total')).toBeGreaterThanOrEqual(1)
      await s.close()
    } finally {
      await lossy.stop()
    }
  })

  test('METRICS_ENABLED=false: no /metrics, requests still served', async () => {
    const server = await startServer({
      DATA_DIR: mkdtempSync(join(tmpdir(), 'puo-nometrics-')),
      JWT_SECRET: 'n'.repeat(40),
      METRICS_ENABLED: 'false',
    })
    try {
      const res = await fetch(`${server.url}/metrics`)
      expect(res.status).toBe(404)
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found')
      expect((await fetch(`${server.url}/health`)).status).toBe(200)
    } finally {
      await server.stop()
    }
  })
})
