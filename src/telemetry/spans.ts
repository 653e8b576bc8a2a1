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
let areProbesTraced = false

/**
 * Called once the trace SDK is registered; until then every helper passes straight through.
 * Health probes and metric scrapes get no trace unless `traceProbes`.
 */
export function enableSpans(opts: { traceProbes: boolean }): void {
  isEnabled = true
  areProbesTraced = opts.traceProbes
}

/** Whether spans are recorded (the trace SDK is registered). */
export const areSpansEnabled = (): boolean => isEnabled

/** Paths a load balancer or Prometheus polls: noise in traces unless asked for. */
const isProbe = (path: string) => path === '/metrics' || path.startsWith('/health')

/** The active span's ids, for log lines written inside a span (empty outside one). */
export function activeTraceIds(): { trace_id?: string; span_id?: string } {
  if (!isEnabled) return {}
  const ctx = trace.getActiveSpan()?.spanContext()
  if (!ctx || !trace.isSpanContextValid(ctx)) return {}
  return { trace_id: ctx.traceId, span_id: ctx.spanId }
}

/** The active trace context as a W3C traceparent (undefined outside a sampled span). */
export function activeTraceparent(): string | undefined {
  if (!isEnabled) return undefined
  const carrier: Record<string, string> = {}
  propagation.inject(context.active(), carrier)
  return carrier.traceparent
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

/** Runs `run` inside `span`, records a failure on it, and ends it either way. */
async function endedAfter<T>(span: Span, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (err) {
    fail(span, err)
    throw err
  } finally {
    span.end()
  }
}

/** A server span around one HTTP request, continuing the caller's trace when it sent a traceparent. */
export async function traceRequest(
  req: Request,
  handle: () => Response | Promise<Response>,
): Promise<Response> {
  if (!isEnabled) return handle()
  const url = new URL(req.url)
  if (!areProbesTraced && isProbe(url.pathname)) return handle()
  const parent = propagation.extract(ROOT_CONTEXT, req.headers, {
    get: (h, key) => h.get(key) ?? undefined,
    keys: (h) => [...h.keys()],
  })
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
    (span) => endedAfter(span, fn),
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

/** An event reached this instance's hub from the bus (with the write's traceparent, if traced). */
export function eventArrived(event: object, traceparent: string | undefined): void {
  if (!isEnabled) return
  arrivals.set(event, {
    parent: traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT,
    at: Date.now(),
  })
}

/**
 * A span for work done because of earlier writes elsewhere (an embedding, say): linked to each
 * write's trace (W3C traceparents), with `run` inside it so what it publishes is its child.
 */
export async function linkedSpan<T>(
  name: string,
  traceparents: readonly (string | null | undefined)[],
  attributes: Record<string, string | number>,
  run: () => Promise<T>,
): Promise<T> {
  if (!isEnabled) return run()
  const links = []
  for (const traceparent of traceparents) {
    if (!traceparent) continue
    const ctx = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, { traceparent }))
    if (ctx && trace.isSpanContextValid(ctx)) links.push({ context: ctx })
  }
  return tracer.startActiveSpan(name, { links, attributes }, ROOT_CONTEXT, (span) =>
    endedAfter(span, run),
  )
}

/** The event left for `sockets` sockets: a consumer span from its arrival (incl. ordering wait) to now. */
export function eventFannedOut(
  event: object,
  name: string,
  attributes: Record<string, string | number>,
): void {
  if (!isEnabled) return
  const arrival = arrivals.get(event)
  arrivals.delete(event)
  // No arrival recorded: the event was read from the log (the bus missed it), which keeps no trace
  // context, so its fan-out starts a trace of its own.
  const source = arrival ? 'bus' : 'log'
  tracer
    .startSpan(
      name,
      {
        kind: SpanKind.CONSUMER,
        startTime: arrival?.at ?? Date.now(),
        attributes: { ...attributes, 'puo.event.source': source },
      },
      arrival?.parent ?? ROOT_CONTEXT,
    )
    .end()
}
