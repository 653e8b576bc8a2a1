// HTTP telemetry for the Elysia app: GET /metrics (Prometheus text) and request durations.
import { Elysia } from 'elysia'
import type { Metrics } from './metrics.ts'

/** Records http.server.request.duration per method, route template and status (semantic conventions). */
export function httpMetrics(metrics: Metrics) {
  const started = new WeakMap<Request, number>()
  return new Elysia({ name: 'http-metrics' })
    .onRequest(({ request }) => {
      started.set(request, performance.now())
    })
    .onAfterResponse({ as: 'global' }, ({ request, route, set }) => {
      const t0 = started.get(request)
      if (t0 === undefined) return
      metrics.instruments.httpDuration.record((performance.now() - t0) / 1000, {
        'http.request.method': request.method,
        'http.route': route || 'unmatched',
        'http.response.status_code': typeof set.status === 'number' ? set.status : 200,
      })
    })
    .get(
      '/metrics',
      async () =>
        new Response(await metrics.render(), {
          headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
        }),
      { detail: { summary: 'Prometheus metrics', tags: ['telemetry'] } },
    )
}
