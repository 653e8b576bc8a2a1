// (c) throughput: the write rate rises step by step at N sockets; per step, deliveries/s, latency,
// loss and server CPU per delivery. Reports the best rate with p99 within the threshold and no loss,
// and the zero-loss peak at any latency. `--warmup S` first writes at the first step's rate for S s,
// reported on its own line and checked for loss, so the first step measures a process already warm.

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
  /** Writes at `rate` for `seconds`, then a second for the last deliveries: what the window saw. */
  async function measure(rate: number, seconds: number) {
    const cpu0 = target.cpuSeconds()
    const shares = cpuWindow(target.database)
    const t0 = performance.now()
    const skipped0 = writer.stats.skipped
    await writer.run(rate, seconds)
    await Bun.sleep(1000)
    const elapsedS = (performance.now() - t0) / 1000
    const w = fleet.takeWindow()
    const cpuS = target.cpuSeconds() - cpu0
    const cores = coreSummary(cpuS / elapsedS, shares())
    const lost = fleet.lost(writer.succeeded)
    const lostNow = lost - lostSoFar
    lostSoFar = lost
    const skipped = writer.stats.skipped - skipped0
    const perS = Math.round(w.deliveries / elapsedS)
    const lat = summary(w.fromRequestMs)
    const cpuUs = w.deliveries > 0 ? round((cpuS * 1e6) / w.deliveries) : 0
    const text =
      `${perS} deliveries/s, p99 ${lat.p99} ms, lost ${lostNow}, ${cpuUs} µs CPU/delivery` +
      (skipped > 0 ? `, ${skipped} writes not sent (backlog)` : '')
    return { perS, p99: lat.p99, cpuUs, cores, text, isClean: lostNow === 0 && skipped === 0 }
  }
  // Optional: the first step's rate for a while, checked for loss but not ranked. A fresh process
  // compiles its write path during its first seconds; without this the first step carries that cost.
  if (p.warmupSeconds > 0 && p.steps[0] !== undefined) {
    const m = await measure(p.steps[0], p.warmupSeconds)
    figures[`warm-up, ${p.steps[0]} writes/s for ${p.warmupSeconds} s`] = m.text
    figures['warm-up, CPU cores'] = m.cores
  }
  for (const rate of p.steps) {
    const m = await measure(rate, p.stepSeconds)
    figures[`${rate} writes/s`] = m.text
    figures[`${rate} writes/s, CPU cores`] = m.cores
    if (m.isClean && m.p99 <= p99Limit) bestWithinP99 = Math.max(bestWithinP99, m.perS)
    if (m.isClean && m.perS > peak) {
      peak = m.perS
      cpuAtPeak = m.cpuUs
    }
    if (!m.isClean || m.p99 > 5000) break // past saturation: further steps only pile up
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
