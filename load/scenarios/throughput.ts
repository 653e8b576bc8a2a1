// (c) throughput: the write rate rises step by step at N sockets; per step, deliveries/s, latency,
// loss and server CPU per delivery. Reports the best rate with p99 within the threshold and no loss,
// and the zero-loss peak at any latency.

import { summary } from '../../test/harness/stats.ts'
import { coreSummary, cpuWindow } from '../lib/cpu.ts'
import { openFleet } from '../lib/fleet.ts'
import { atLeast, atMost, type Outcome, round } from '../lib/report.ts'
import type { Params } from '../lib/scenario.ts'
import type { Target } from '../lib/targets.ts'
import { createWriter } from '../lib/writer.ts'

export async function throughput(p: Params, target: Target): Promise<Outcome> {
  const { fleet, opened } = await openFleet(p, target)
  const writer = createWriter(target, p.tenants)
  const p99Limit = p.thresholds.p99Ms ?? 50
  const figures: Record<string, number | string> = { connections: p.connections }
  let bestWithinP99 = 0
  let peak = 0
  let cpuAtPeak = 0
  let lostSoFar = 0
  for (const rate of p.steps) {
    const cpu0 = target.cpuSeconds()
    const shares = cpuWindow(target.database)
    const t0 = performance.now()
    const skipped0 = writer.stats.skipped
    await writer.run(rate, p.stepSeconds)
    await Bun.sleep(1000)
    const elapsedS = (performance.now() - t0) / 1000
    const w = fleet.takeWindow()
    const cpuS = target.cpuSeconds() - cpu0
    const cores = shares()
    const lost = fleet.lost(writer.succeeded)
    const lostNow = lost - lostSoFar
    lostSoFar = lost
    const perS = Math.round(w.deliveries / elapsedS)
    const lat = summary(w.fromRequestMs)
    const cpuUs = w.deliveries > 0 ? round((cpuS * 1e6) / w.deliveries) : 0
    const isClean = lostNow === 0 && writer.stats.skipped === skipped0
    figures[`${rate} writes/s`] =
      `${perS} deliveries/s, p99 ${lat.p99} ms, lost ${lostNow}, ${cpuUs} µs CPU/delivery` +
      (writer.stats.skipped > skipped0
        ? `, ${writer.stats.skipped - skipped0} writes not sent (backlog)`
        : '')
    figures[`${rate} writes/s, CPU cores`] = coreSummary(cpuS / elapsedS, cores)
    if (isClean && lat.p99 <= p99Limit) bestWithinP99 = Math.max(bestWithinP99, perS)
    if (isClean && perS > peak) {
      peak = perS
      cpuAtPeak = cpuUs
    }
    if (!isClean || lat.p99 > 5000) break // past saturation: further steps only pile up
  }
  fleet.close()
  const errors = opened.errors + writer.stats.failed + fleet.counts.errors
  figures[`best deliveries/s with p99 ≤ ${p99Limit} ms, no loss`] = bestWithinP99
  figures['zero-loss peak deliveries/s'] = peak
  figures['server CPU µs per delivery at that peak'] = cpuAtPeak
  figures.duplicated = fleet.counts.duplicates
  figures.leaked = fleet.counts.leaked
  figures.errors = errors
  return {
    scenario: 'throughput',
    target: target.describe(),
    figures,
    checks: [
      ...atMost('duplicated', fleet.counts.duplicates, p.thresholds.duplicated, 'invariant'),
      ...atMost('lost', lostSoFar, p.thresholds.lost, 'invariant'),
      ...atLeast(
        'zero-loss peak deliveries/s',
        peak,
        p.thresholds.peakDeliveriesPerSecond,
        'benchmark',
      ),
      ...atMost(
        'server CPU µs per delivery',
        cpuAtPeak,
        p.thresholds.cpuUsPerDelivery,
        'benchmark',
      ),
    ],
  }
}
