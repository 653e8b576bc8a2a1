// A real Prometheus scrapes a real server on its own metrics port: the series hold what the traffic
// did, promtool accepts the exposition, and every dashboard query is valid PromQL over real series.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { signToken } from '../src/auth/jwt.ts'
import { freePort } from './harness/redis.ts'
import { type RunningServer, startServer } from './harness/server.ts'
import { prometheusPath, promtoolPath, servicesRequired } from './support/env.ts'
import { openSocket, restOf } from './support/realtime.ts'

const SECRET = 'p'.repeat(40)
const deploy = new URL('../docs/deploy/', import.meta.url).pathname
const dashboard = JSON.parse(
  readFileSync(join(deploy, 'grafana/dashboards/puo-memo.json'), 'utf8'),
) as {
  panels: { title: string; targets: { expr: string }[] }[]
}

interface Sample {
  metric: Record<string, string>
  value: [number, string]
}

describe.skipIf((prometheusPath === null || promtoolPath === null) && !servicesRequired)(
  'Prometheus',
  () => {
    let server: RunningServer
    let metricsUrl: string
    let prometheus: Subprocess
    let promUrl: string
    const query = async (q: string) => {
      const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`)
      const body = (await res.json()) as {
        status: string
        error?: string
        data: { result: Sample[] }
      }
      if (body.status !== 'success') throw new Error(`${q}: ${body.error}`)
      return body.data.result
    }
    const scalar = async (q: string) => {
      const [first] = await query(q)
      return first ? Number(first.value[1]) : undefined
    }

    beforeAll(async () => {
      const metricsPort = await freePort()
      server = await startServer({
        DATA_DIR: mkdtempSync(join(tmpdir(), 'puo-prom-')),
        JWT_SECRET: SECRET,
        INSTANCE_ID: 'scraped',
        METRICS_PORT: String(metricsPort),
      })
      metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`
      const dir = mkdtempSync(join(tmpdir(), 'puo-prometheus-'))
      writeFileSync(
        join(dir, 'prometheus.yml'),
        `global: { scrape_interval: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: puo-memo
    static_configs: [{ targets: ["127.0.0.1:${metricsPort}"] }]
`,
      )
      const port = await freePort()
      promUrl = `http://127.0.0.1:${port}`
      prometheus = Bun.spawn(
        [
          prometheusPath ?? 'prometheus',
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--log.level=warn',
        ],
        { stdout: 'ignore', stderr: 'ignore' },
      )
      // Queries before Prometheus listens would be refused: wait until it says it is ready.
      for (let i = 0; ; i++) {
        const ready = await fetch(`${promUrl}/-/ready`).then(
          (r) => r.ok,
          () => false,
        )
        if (ready) break
        if (i > 300) throw new Error('prometheus did not become ready')
        await Bun.sleep(100)
      }
    }, 60_000)
    afterAll(async () => {
      prometheus?.kill()
      await server?.stop()
    })

    test('scraped series match the traffic; the app port does not serve /metrics', async () => {
      const token = await signToken(SECRET, { tenantId: 'scraped', userId: 'alice' })
      const ws = server.url.replace('http', 'ws')
      const a = await openSocket(`${ws}/api/v4/ws?token=${token}`)
      const b = await openSocket(`${ws}/api/v4/ws?token=${token}`)
      await a.subscribe('memories')
      await b.subscribe('memories')
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${server.url}/api/v4/memories`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ content: `scraped ${i}`, visibility: 'team' }),
        })
        expect(res.status).toBe(201)
      }
      // Each create also produces a memory.embedding_complete once the worker has embedded it.
      for (const s of [a, b]) {
        for (let i = 0; i < 5; i++) await s.waitFor((f) => f.type === 'memory.embedding_complete')
      }
      await b.close()
      expect((await fetch(`${server.url}/metrics`)).status).toBe(404)

      const sent = 'puo_ws_messages_sent_total{job="puo-memo",message_type="memory.created"}'
      for (let i = 0; (await scalar(sent)) !== 10; i++) {
        if (i > 150) throw new Error(`${sent} never reached 10: ${await scalar(sent)}`)
        await Bun.sleep(200)
      }
      expect(await scalar('up{job="puo-memo"}')).toBe(1)
      expect(await scalar('puo_ws_connections_active')).toBe(1)
      expect(await scalar('puo_ws_connections_opened_total')).toBe(2)
      expect(await scalar('puo_ws_connections_closed_total{close_code="1000"}')).toBe(1)
      expect(await scalar('puo_ws_messages_received_total{message_type="subscribe"}')).toBe(2)
      expect(await scalar('puo_event_delivery_latency_count')).toBe(10)
      expect(
        await scalar(
          'http_server_request_duration_count{http_request_method="POST",http_route="/api/v4/memories",http_response_status_code="201"}',
        ),
      ).toBe(5)
      // The one GET /metrics on the app port: no such route there.
      expect(
        await scalar(
          'http_server_request_duration_count{http_route="unmatched",http_response_status_code="404"}',
        ),
      ).toBe(1)
      await a.close()
    }, 60_000)

    test('promtool accepts the exposition', async () => {
      const text = await (await fetch(metricsUrl)).text()
      const check = Bun.spawnSync([promtoolPath ?? 'promtool', 'check', 'metrics'], {
        stdin: new TextEncoder().encode(text),
      })
      expect(check.stdout.toString() + check.stderr.toString()).toBe('')
      expect(check.exitCode).toBe(0)
    })

    test('the repository scrape configuration is valid', () => {
      const check = Bun.spawnSync([
        promtoolPath ?? 'promtool',
        'check',
        'config',
        '--syntax-only',
        join(deploy, 'prometheus/prometheus.yml'),
      ])
      expect(check.exitCode).toBe(0)
    })

    test('what clients were told is what the metrics say: 1009, 401, resume, error frames', async () => {
      const token = await signToken(SECRET, { tenantId: 'scraped', userId: 'carol' })
      const ws = server.url.replace('http', 'ws')
      // A frame over the limit: the client sees 1009, and so must the close metric and the limit.
      const big = await openSocket(`${ws}/api/v4/ws?token=${token}`)
      big.sendRaw('x'.repeat(20_000))
      expect((await big.closed).code).toBe(1009)
      // A refused upgrade, counted by status.
      expect(
        (await fetch(`${server.url}/api/v4/ws?token=nope`, { headers: { upgrade: 'websocket' } }))
          .status,
      ).toBe(401)
      // A resume from a position behind the tenant's head, and an error frame.
      const r = await openSocket(`${ws}/api/v4/ws?token=${token}`)
      const id = r.send('subscribe', { channel: 'memories', since: 1 })
      const subscribed = await r.waitFor((f) => f.type === 'subscribed' && f.id === id)
      expect((subscribed.data as { replayed: number }).replayed).toBeGreaterThan(0)
      r.sendRaw('{not json')
      await r.waitFor((f) => f.type === 'error')
      await r.close()
      const expectations: [string, number][] = [
        ['puo_ws_connections_closed_total{close_code="1009"}', 1],
        ['puo_ws_connections_closed_total{close_code="1006"}', 0],
        ['puo_ws_limit_rejections_total{limit="size"}', 1],
        ['puo_ws_upgrade_refusals_total{status="401"}', 1],
        ['puo_ws_resumes_total{outcome="replayed"}', 1],
        ['puo_ws_errors_sent_total{error_code="invalid_json"}', 1],
      ]
      for (const [q, want] of expectations) {
        for (let i = 0; (await scalar(q)) !== want; i++) {
          if (i > 100) throw new Error(`${q} is ${await scalar(q)}, not ${want}`)
          await Bun.sleep(200)
        }
      }
    }, 60_000)

    test('every dashboard query is valid PromQL and shows data on a healthy server with traffic', async () => {
      const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr))
      // Empty: no series, or only NaN (a quantile of nothing): the panel would show no line.
      const isEmpty = (samples: Sample[]) =>
        samples.length === 0 || samples.every((x) => Number.isNaN(Number(x.value[1])))
      const token = await signToken(SECRET, { tenantId: 'scraped', userId: 'dave' })
      const ws = server.url.replace('http', 'ws')
      // Ordinary traffic while the panels are read: a write reaching a subscriber, a resume.
      const traffic = async () => {
        const s = await openSocket(`${ws}/api/v4/ws?token=${token}`)
        const id = s.send('subscribe', { channel: 'memories', since: 1 })
        await s.waitFor((f) => f.type === 'subscribed' && f.id === id)
        const res = await restOf(server)('POST', '/api/v4/memories', token, {
          content: 'panel traffic',
          visibility: 'team',
        })
        expect(res.status).toBe(201)
        await s.waitFor((f) => f.type === 'memory.created')
        await s.close()
      }
      let empty: string[] = []
      for (let i = 0; i < 40; i++) {
        await traffic()
        empty = []
        for (const expr of exprs) {
          if (isEmpty(await query(expr))) empty.push(expr) // query() throws on a PromQL error
        }
        if (empty.length === 0) break
        await Bun.sleep(500) // rate() needs two scrapes of a series
      }
      expect(empty).toEqual([])
    }, 60_000)
  },
)
