// Trace pipeline: the OpenTelemetry Node SDK exporting spans over OTLP/HTTP, started only when a
// collector is configured (without it every span helper is a no-op and costs nothing).
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { NodeSDK } from '@opentelemetry/sdk-node'
import { ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace'
import { trimSlash } from './metrics.ts'
import { enableSpans } from './spans.ts'

export interface Tracing {
  /** Exports what is buffered and stops. */
  shutdown(): Promise<void>
}

export function startTracing(opts: {
  endpoint: string
  serviceName: string
  instanceId: string
  version: string
  /** Share of new root traces recorded; a caller's traceparent decision is always followed. */
  sampleRatio: number
  /** Trace health probes and metric scrapes too (off: they would drown the traces that matter). */
  traceProbes: boolean
}): Tracing {
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      'service.name': opts.serviceName,
      'service.instance.id': opts.instanceId,
      'service.version': opts.version,
    }),
    autoDetectResources: false,
    traceExporter: new OTLPTraceExporter({ url: `${trimSlash(opts.endpoint)}/v1/traces` }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(opts.sampleRatio) }),
    // Metrics have their own pipeline (metrics.ts) and logs go to stdout: the SDK starts neither.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  })
  sdk.start()
  enableSpans({ traceProbes: opts.traceProbes })
  return { shutdown: () => sdk.shutdown() }
}
