// Metrics pipeline: an OpenTelemetry MeterProvider read by Prometheus (GET /metrics) and, when a
// collector is configured, pushed over OTLP/HTTP.
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http'
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  type IMetricReader,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import { createInstruments, type Instruments, startAtZero } from './instruments.ts'
import { observeProcess } from './process-metrics.ts'

export interface Metrics {
  instruments: Instruments
  /** The Prometheus text exposition of every instrument (empty when Prometheus is off). */
  render(): Promise<string>
  /** True when GET /metrics should answer. */
  readonly isPrometheusEnabled: boolean
  /** Pushes what is pending (OTLP) and stops the readers. */
  shutdown(): Promise<void>
}

export interface MetricsOptions {
  serviceName: string
  instanceId: string
  version: string
  /** Prometheus pull reader (default on). */
  prometheus?: boolean
  /** OTLP/HTTP push: the collector's base URL and the push interval. */
  otlp?: { endpoint: string; intervalMs: number }
}

export function startMetrics(opts: MetricsOptions): Metrics {
  const prometheus =
    opts.prometheus === false ? undefined : new PrometheusExporter({ preventServerStart: true })
  const readers: IMetricReader[] = []
  if (prometheus) readers.push(prometheus)
  if (opts.otlp) {
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({ url: `${trimSlash(opts.otlp.endpoint)}/v1/metrics` }),
        exportIntervalMillis: opts.otlp.intervalMs,
        exportTimeoutMillis: Math.min(opts.otlp.intervalMs, 30_000),
      }),
    )
  }
  const provider = new MeterProvider({
    resource: resourceFromAttributes({
      'service.name': opts.serviceName,
      'service.instance.id': opts.instanceId,
      'service.version': opts.version,
    }),
    readers,
  })
  const serializer = new PrometheusSerializer()
  const meter = provider.getMeter('puo-memo', opts.version)
  const instruments = createInstruments(meter)
  startAtZero(instruments)
  const stopProcessMetrics = observeProcess(meter)
  return {
    instruments,
    isPrometheusEnabled: prometheus !== undefined,
    async render() {
      if (!prometheus) return ''
      const { resourceMetrics } = await prometheus.collect()
      return serializer.serialize(resourceMetrics)
    },
    shutdown() {
      stopProcessMetrics()
      return provider.shutdown()
    },
  }
}

export const trimSlash = (url: string) => url.replace(/\/+$/, '')
