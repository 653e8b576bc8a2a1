// HTTP telemetry for the Elysia app: a log line per request, GET /metrics and request durations.
import { Elysia } from 'elysia'
import type { Logger } from './logger.ts'
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

const REQUEST_ID = /^[\w.-]{1,64}$/

/**
 * One log line per request: request id (X-Request-Id, taken from the caller when well-formed, and
 * echoed), method, route template (never the raw URL: a `?token=` must not reach a log), status, time.
 */
export function requestLog(log: Logger) {
  const started = new WeakMap<Request, { id: string; t0: number }>()
  return new Elysia({ name: 'request-log' })
    .onRequest(({ request, set }) => {
      const given = request.headers.get('x-request-id')
      const id = given && REQUEST_ID.test(given) ? given : crypto.randomUUID()
      started.set(request, { id, t0: performance.now() })
      set.headers['x-request-id'] = id
    })
    .onAfterResponse({ as: 'global' }, ({ request, route, set }) => {
      const s = started.get(request)
      if (!s) return
      log.info('request', {
        requestId: s.id,
        method: request.method,
        route: route || 'unmatched',
        status: typeof set.status === 'number' ? set.status : 200,
        durationMs: Math.round((performance.now() - s.t0) * 10) / 10,
      })
    })
}
