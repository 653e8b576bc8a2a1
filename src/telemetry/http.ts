// HTTP telemetry for the Elysia app: a log line and the duration per request, GET /metrics, and the
// request span's name.
import { Elysia } from 'elysia'
import { databaseErrorInfo, isDatabaseUnavailable, isRejectedValue } from '../db/errors.ts'
import type { DatabaseErrorKind } from './instruments.ts'
import type { Logger } from './logger.ts'
import type { Metrics } from './metrics.ts'
import { assignRequestId } from './request-id.ts'
import { areSpansEnabled, nameRequestSpan } from './spans.ts'

/** The Prometheus exposition as an HTTP response (served on PORT or on METRICS_PORT). */
export async function metricsResponse(metrics: Metrics): Promise<Response> {
  return new Response(await metrics.render(), {
    headers: { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' },
  })
}

/** GET /metrics: the Prometheus exposition (unless it has a port of its own, METRICS_PORT). */
export function metricsRoute(metrics: Metrics) {
  return new Elysia({ name: 'metrics-route' }).get('/metrics', () => metricsResponse(metrics), {
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

/** Names the request's trace span after the matched route template; without tracing, adds no hook. */
export function requestSpanName() {
  const plugin = new Elysia({ name: 'request-span-name' })
  if (!areSpansEnabled()) return plugin
  return plugin.onTransform({ as: 'global' }, ({ request, route }) =>
    nameRequestSpan(request.method, route),
  )
}

/**
 * What the after-response hook reads of a finished request. It names these fields instead of
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
 * One pair of hooks per request for both: a log line with the request id (X-Request-Id, taken from
 * the caller when well-formed, and echoed), method, route template (never the raw URL: a `?token=`
 * must not reach a log), status and time; and, with metrics, http.server.request.duration per
 * method, route template and status (semantic conventions), and the database errors counted.
 */
export function requestTelemetry(log: Logger, metrics: Metrics | undefined) {
  const started = new WeakMap<Request, { id: string; t0: number }>()
  return new Elysia({ name: 'request-telemetry' })
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
        const ms = performance.now() - s.t0
        const status = statusOf({ set, responseValue, error })
        const template = route || 'unmatched'
        if (metrics) {
          metrics.instruments.httpDuration.record(ms / 1000, {
            'http.request.method': request.method,
            'http.route': template,
            'http.response.status_code': status,
          })
          const kind = databaseErrorKind(error)
          if (kind) metrics.instruments.databaseErrors.add(1, { 'error.type': kind })
        }
        log.info('request', {
          requestId: s.id,
          method: request.method,
          route: template,
          status,
          durationMs: Math.round(ms * 10) / 10,
        })
      },
    )
}
