// The operator's references stay true: OPERATIONS.md lists every series the service exports and every
// telemetry setting, and the Grafana dashboard queries only series that exist.
import { describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import type { Counter, Histogram, ObservableGauge, UpDownCounter } from '@opentelemetry/api'
import { settings } from '../src/config/schema.ts'
import { startMetrics } from '../src/telemetry/metrics.ts'

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8')
const operations = read('../docs/OPERATIONS.md')

/** Every Prometheus family name the service can export: each instrument recorded once, then rendered. */
async function exportedFamilies(): Promise<Set<string>> {
  const metrics = startMetrics({ serviceName: 'puo-memo', instanceId: 'docs', version: 'test' })
  for (const instrument of Object.values(metrics.instruments)) {
    if ('addCallback' in instrument) {
      ;(instrument as ObservableGauge).addCallback((r) => r.observe(1))
    } else if ('record' in instrument) {
      ;(instrument as Histogram).record(1)
    } else {
      ;(instrument as Counter | UpDownCounter).add(1)
    }
  }
  const text = await metrics.render()
  await metrics.shutdown()
  return new Set([...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1] as string))
}

describe('telemetry references', () => {
  test('OPERATIONS.md lists every exported series', async () => {
    const families = await exportedFamilies()
    expect(families.size).toBeGreaterThan(12)
    for (const name of families) expect(operations).toContain(`\`${name}\``)
  })

  test('OPERATIONS.md documents every telemetry setting', () => {
    const keys = Object.keys(settings).filter((k) => /^(METRICS_|OTEL_)/.test(k))
    expect(keys.length).toBeGreaterThanOrEqual(6)
    for (const key of keys) expect(operations).toContain(`| \`${key}\` |`)
  })

  test('the dashboard queries only series the service exports', async () => {
    const families = await exportedFamilies()
    const dashboard = JSON.parse(read('../docs/deploy/grafana/dashboards/puo-memo.json')) as {
      panels: { targets: { expr: string }[] }[]
    }
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr))
    const used = new Set(
      exprs.flatMap((e) => [...e.matchAll(/\b(?:puo|http_server)_\w+/g)].map((m) => m[0])),
    )
    expect(used.size).toBeGreaterThan(10)
    for (const series of used) {
      const family = series.replace(/_(bucket|count|sum)$/, '')
      expect([...families]).toContain(family)
    }
  })
})
