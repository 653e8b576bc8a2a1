// Span helpers for the one data path: HTTP request → database → publish → bus → fan-out on every
// instance. The trace context crosses instances inside the bus envelope (W3C traceparent).
import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api'
import { databaseErrorInfo, nameStatement } from '../db/errors.ts'

const tracer = trace.getTracer('puo-memo')
let isEnabled = false

/** Called once the trace SDK is registered; until then every helper passes straight through. */
export function enableSpans(): void {
  isEnabled = true
}

const toException = (err: unknown) => (err instanceof Error ? err : String(err))

function fail(span: Span, err: unknown): void {
  // A database error's message quotes the values of its statement: record only what is safe.
  const db = databaseErrorInfo(err)
  span.recordException(
    db ? { name: 'DatabaseError', message: `SQLSTATE ${db.code ?? 'unknown'}` } : toException(err),
  )
  span.setStatus({ code: SpanStatusCode.ERROR })
}

/** A server span around one HTTP request, continuing the caller's trace when it sent a traceparent. */
export async function traceRequest(
  req: Request,
  handle: () => Response | Promise<Response>,
): Promise<Response> {
  if (!isEnabled) return handle()
  const parent = propagation.extract(ROOT_CONTEXT, req.headers, {
    get: (h, key) => h.get(key) ?? undefined,
    keys: (h) => [...h.keys()],
  })
  const url = new URL(req.url)
  const attributes = {
    'http.request.method': req.method,
    'url.scheme': url.protocol.slice(0, -1),
    // The path only: a query string may carry a credential.
    'url.path': url.pathname,
  }
  return tracer.startActiveSpan(
    req.method,
    { kind: SpanKind.SERVER, attributes },
    parent,
    async (span) => {
      try {
        const res = await handle()
        span.setAttribute('http.response.status_code', res.status)
        if (res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR })
        return res
      } catch (err) {
        fail(span, err)
        throw err
      } finally {
        span.end()
      }
    },
  )
}

/** Names the current request span after its route template once routing has happened. */
export function nameRequestSpan(method: string, route: string): void {
  if (!isEnabled) return
  const span = trace.getActiveSpan()
  span?.updateName(`${method} ${route}`)
  span?.setAttribute('http.route', route)
}

/** A client span around one database operation (a query or a transaction). */
export async function dbSpan<T>(operation: string, run: () => Promise<T>): Promise<T> {
  const fn = () =>
    run().catch((err: unknown) => {
      nameStatement(err, operation)
      throw err
    })
  if (!isEnabled) return fn()
  return tracer.startActiveSpan(
    operation,
    {
      kind: SpanKind.CLIENT,
      attributes: { 'db.system.name': 'postgresql', 'db.operation.name': operation },
    },
    async (span) => {
      try {
        return await fn()
      } catch (err) {
        fail(span, err)
        throw err
      } finally {
        span.end()
      }
    },
  )
}

/**
 * A producer span around publishing one committed event; `send` receives the traceparent to carry
 * in the envelope (undefined when tracing is off or the trace is not sampled).
 */
export function producerSpan<T>(
  name: string,
  attributes: Record<string, string | number>,
  send: (traceparent: string | undefined) => T,
): T {
  if (!isEnabled) return send(undefined)
  return tracer.startActiveSpan(name, { kind: SpanKind.PRODUCER, attributes }, (span) => {
    try {
      const carrier: Record<string, string> = {}
      propagation.inject(context.active(), carrier)
      return send(carrier.traceparent)
    } finally {
      span.end()
    }
  })
}

/** Trace context and arrival time of events on their way through the hub, until they fan out. */
const arrivals = new WeakMap<object, { parent: Context; at: number }>()

/** An event reached this instance's hub carrying a traceparent. */
export function eventArrived(event: object, traceparent: string | undefined): void {
  if (!isEnabled || !traceparent) return
  arrivals.set(event, {
    parent: propagation.extract(ROOT_CONTEXT, { traceparent }),
    at: Date.now(),
  })
}

/** The event left for `sockets` sockets: a consumer span from its arrival (incl. ordering wait) to now. */
export function eventFannedOut(
  event: object,
  name: string,
  attributes: Record<string, string | number>,
): void {
  if (!isEnabled) return
  const arrival = arrivals.get(event)
  if (!arrival) return
  arrivals.delete(event)
  tracer
    .startSpan(name, { kind: SpanKind.CONSUMER, startTime: arrival.at, attributes }, arrival.parent)
    .end()
}
