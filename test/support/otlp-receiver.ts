// An OTLP/HTTP (JSON) receiver for tests: records every span and metric data point pushed to it.
import { gunzipSync } from 'bun'

type AnyValue = {
  stringValue?: string
  intValue?: number | string
  doubleValue?: number
  boolValue?: boolean
}
type KeyValue = { key: string; value: AnyValue }

export interface ReceivedSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  /** OTLP span kind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number
  attributes: Record<string, string | number | boolean>
  /** Span links: the spans this one was caused by, in other traces. */
  links: { traceId: string; spanId: string }[]
  /** service.instance.id of the process that exported it. */
  instance: string
}

export interface ReceivedMetric {
  name: string
  instance: string
  /** Sum or gauge value, or histogram count. */
  value: number
}

export interface OtlpReceiver {
  url: string
  spans: ReceivedSpan[]
  metrics: ReceivedMetric[]
  stop(): void
}

const flat = (attrs: KeyValue[] = []) =>
  Object.fromEntries(
    attrs.map((a) => [
      a.key,
      a.value.stringValue ??
        (a.value.intValue !== undefined ? Number(a.value.intValue) : undefined) ??
        a.value.doubleValue ??
        a.value.boolValue ??
        '',
    ]),
  ) as Record<string, string | number | boolean>

interface Resourceful {
  resource?: { attributes?: KeyValue[] }
}
interface OtlpSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  kind: number
  attributes?: KeyValue[]
  links?: { traceId: string; spanId: string }[]
}
interface OtlpPoint {
  asInt?: number | string
  asDouble?: number
  count?: number | string
}
interface OtlpMetric {
  name: string
  sum?: { dataPoints: OtlpPoint[] }
  gauge?: { dataPoints: OtlpPoint[] }
  histogram?: { dataPoints: OtlpPoint[] }
}
type TracesBody = { resourceSpans: (Resourceful & { scopeSpans: { spans: OtlpSpan[] }[] })[] }
type MetricsBody = {
  resourceMetrics: (Resourceful & { scopeMetrics: { metrics: OtlpMetric[] }[] })[]
}

export function startOtlpReceiver(): OtlpReceiver {
  const spans: ReceivedSpan[] = []
  const metrics: ReceivedMetric[] = []
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(req) {
      let raw = new Uint8Array(await req.arrayBuffer())
      if (req.headers.get('content-encoding') === 'gzip') raw = gunzipSync(raw)
      const text = new TextDecoder().decode(raw)
      const path = new URL(req.url).pathname
      if (path === '/v1/traces') {
        for (const rs of (JSON.parse(text) as TracesBody).resourceSpans) {
          const instance = String(flat(rs.resource?.attributes)['service.instance.id'])
          for (const ss of rs.scopeSpans)
            for (const s of ss.spans)
              spans.push({
                traceId: s.traceId,
                spanId: s.spanId,
                ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
                name: s.name,
                kind: s.kind,
                attributes: flat(s.attributes),
                links: (s.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
                instance,
              })
        }
      } else if (path === '/v1/metrics') {
        for (const rm of (JSON.parse(text) as MetricsBody).resourceMetrics) {
          const instance = String(flat(rm.resource?.attributes)['service.instance.id'])
          for (const sm of rm.scopeMetrics)
            for (const m of sm.metrics) {
              const points =
                m.sum?.dataPoints ?? m.gauge?.dataPoints ?? m.histogram?.dataPoints ?? []
              let value = 0
              for (const p of points)
                value += Number(m.histogram ? p.count : (p.asInt ?? p.asDouble ?? 0))
              metrics.push({ name: m.name, instance, value })
            }
        }
      } else {
        return new Response('not found', { status: 404 })
      }
      return Response.json({})
    },
  })
  return { url: `http://127.0.0.1:${server.port}`, spans, metrics, stop: () => server.stop(true) }
}
