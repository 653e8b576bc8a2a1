// HTTP telemetry for the Elysia app: a log line per request, GET /metrics, request durations and
// the request span's name.
import { Elysia } from 'elysia'
import { databaseErrorInfo, isDatabaseUnavailable, isRejectedValue } from '../db/errors.ts'
import type { DatabaseErrorKind } from './instruments.ts'
import type { Logger } from './logger.ts'
import type { Metrics } from './metrics.ts'
import { assignRequestId } from './request-id.ts'
import { nameRequestSpan } from './spans.ts'

/** The Prometheus exposition as an HTTP response (served on PORT or on METRICS_PORT). */
export async function metricsResponse(metrics: Metrics): Promise<Response> {
  return new Response(await metrics.render(), {
    headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
  })
}

/**
 * Records http.server.request.duration per method, route template and status (semantic
 * conventions); serves GET /metrics unless `serveMetrics` is false (it has a port of its own).
 */
export function httpMetrics(metrics: Metrics, opts: { serveMetrics: boolean }) {
  const started = new WeakMap<Request, number>()
  const plugin = new Elysia({ name: 'http-metrics' })
    .onRequest(({ request }) => {
      started.set(request, performance.now())
    })
    .onAfterResponse(
      { as: 'global' },
      ({ request, route, set, responseValue, error }: Finished) => {
        const t0 = started.get(request)
        if (t0 === undefined) return
        metrics.instruments.httpDuration.record((performance.now() - t0) / 1000, {
          'http.request.method': request.method,
          'http.route': route || 'unmatched',
          'http.response.status_code': statusOf({ set, responseValue, error }),
        })
        const kind = databaseErrorKind(error)
        if (kind) metrics.instruments.databaseErrors.add(1, { 'error.type': kind })
      },
    )
  if (!opts.serveMetrics) return plugin
  return plugin.get('/metrics', () => metricsResponse(metrics), {
    detail: { summary: 'Prometheus metrics', tags: ['telemetry'] },
  })
}

/** How a request's error involved the database (the kinds the error handler tells apart), if it did. */
function databaseErrorKind(error: unknown): DatabaseErrorKind | undefined {
  if (!error) return undefined
  if (isDatabaseUnavailable(error)) return 'unavailable'
  const info = databaseErrorInfo(error)
  if (!info) return undefined
  return isRejectedValue(info) ? 'rejected_value' : 'other'
}

/** Names the request's trace span after the matched route template (no-op without tracing). */
export function requestSpanName() {
  return new Elysia({ name: 'request-span-name' }).onTransform(
    { as: 'global' },
    ({ request, route }) => nameRequestSpan(request.method, route),
  )
}

/**
 * What the after-response hooks read of a finished request. They name these fields instead of
 * taking the whole context: Elysia looks at which fields a hook reads and, for a hook that takes all
 * of them, parses every request's query, headers and cookies whether a route needs them or not.
 * `error` is on the context of a request that failed; Elysia's declared type does not list it.
 */
interface Finished {
  request: Request
  route: string
  set: { status?: unknown }
  responseValue?: unknown
  error?: unknown
}

/**
 * The status sent. A returned Response carries its own; for an error, the error handler puts the
 * status it answered with (503 for an unreachable database, say) in `set.status`, and the error's own
 * status is only a fallback (an error raised before any handler ran).
 */
function statusOf({ set, responseValue, error }: Omit<Finished, 'request' | 'route'>): number {
  if (responseValue instanceof Response) return responseValue.status
  if (error && typeof set.status === 'number' && set.status >= 400) return set.status
  const own = (error as { status?: unknown } | undefined)?.status
  if (typeof own === 'number') return own
  return typeof set.status === 'number' ? set.status : 200
}

/**
 * One log line per request: request id (X-Request-Id, taken from the caller when well-formed, and
 * echoed), method, route template (never the raw URL: a `?token=` must not reach a log), status, time.
 */
export function requestLog(log: Logger) {
  const started = new WeakMap<Request, { id: string; t0: number }>()
  return new Elysia({ name: 'request-log' })
    .onRequest(({ request, set }) => {
      const id = assignRequestId(request)
      started.set(request, { id, t0: performance.now() })
      set.headers['x-request-id'] = id
    })
    .onAfterResponse(
      { as: 'global' },
      ({ request, route, set, responseValue, error }: Finished) => {
        const s = started.get(request)
        if (!s) return
        log.info('request', {
          requestId: s.id,
          method: request.method,
          route: route || 'unmatched',
          status: statusOf({ set, responseValue, error }),
          durationMs: Math.round((performance.now() - s.t0) * 10) / 10,
        })
      },
    )
}
