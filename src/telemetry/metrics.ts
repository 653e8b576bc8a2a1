// Metrics pipeline: an OpenTelemetry MeterProvider whose Prometheus reader renders GET /metrics.
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { MeterProvider } from '@opentelemetry/sdk-metrics'
import { createInstruments, type Instruments } from './instruments.ts'

export interface Metrics {
  instruments: Instruments
  /** The Prometheus text exposition of every instrument. */
  render(): Promise<string>
  shutdown(): Promise<void>
}

export function startMetrics(opts: {
  serviceName: string
  instanceId: string
  version: string
}): Metrics {
  const reader = new PrometheusExporter({ preventServerStart: true })
  const provider = new MeterProvider({
    resource: resourceFromAttributes({
      'service.name': opts.serviceName,
      'service.instance.id': opts.instanceId,
      'service.version': opts.version,
    }),
    readers: [reader],
  })
  const serializer = new PrometheusSerializer()
  return {
    instruments: createInstruments(provider.getMeter('puo-memo', opts.version)),
    async render() {
      const { resourceMetrics } = await reader.collect()
      return serializer.serialize(resourceMetrics)
    },
    shutdown: () => provider.shutdown(),
  }
}
