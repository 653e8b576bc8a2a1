// (b) fan-out: at N sockets, writes at a fixed rate; create→event latency from the request start and
// from the commit time in the event; nothing lost, duplicated or leaked. (e) cluster runs it too.

import { summary } from '../../test/harness/stats.ts'
import { coreFigures, cpuWindow } from '../lib/cpu.ts'
import { openFleet } from '../lib/fleet.ts'
import { atMost, type Outcome, round } from '../lib/report.ts'
import type { Params } from '../lib/scenario.ts'
import type { Target } from '../lib/targets.ts'
import { createWriter } from '../lib/writer.ts'

export async function fanout(p: Params, target: Target, name = 'fanout'): Promise<Outcome> {
  const { fleet, opened } = await openFleet(p, target)
  const writer = createWriter(target, p.tenants)
  const cpu0 = target.cpuSeconds()
  const shares = cpuWindow(target.database)
  const t0 = performance.now()
  await writer.run(p.writesPerSecond, p.durationSeconds)
  await Bun.sleep(2000) // the last writes' fan-out
  const elapsedS = (performance.now() - t0) / 1000
  const cpuS = target.cpuSeconds() - cpu0
  const cores = shares()
  const w = fleet.takeWindow()
  const lost = fleet.lost(writer.succeeded)
  fleet.close()
  const fromRequest = summary(w.fromRequestMs)
  const fromCommit = summary(w.fromCommitMs)
  const errors = opened.errors + writer.stats.failed + writer.stats.skipped + fleet.counts.errors
  return {
    scenario: name,
    target: target.describe(),
    figures: {
      connections: p.connections,
      'writes per s': p.writesPerSecond,
      seconds: p.durationSeconds,
      'writes ok': writer.stats.succeeded,
      errors,
      deliveries: w.deliveries,
      'deliveries per s': Math.round(w.deliveries / elapsedS),
      lost,
      duplicated: fleet.counts.duplicates,
      leaked: fleet.counts.leaked,
      'p50 ms (request)': fromRequest.p50,
      'p95 ms (request)': fromRequest.p95,
      'p99 ms (request)': fromRequest.p99,
      'max ms (request)': fromRequest.max,
      'p50 ms (commit)': fromCommit.p50,
      'p99 ms (commit)': fromCommit.p99,
      'server CPU µs per delivery': w.deliveries > 0 ? round((cpuS * 1e6) / w.deliveries) : 0,
      ...coreFigures(cpuS / elapsedS, cores),
    },
    checks: [
      ...atMost('errors', errors, p.thresholds.errors, 'invariant'),
      ...atMost('lost', lost, p.thresholds.lost, 'invariant'),
      ...atMost('duplicated', fleet.counts.duplicates, p.thresholds.duplicated, 'invariant'),
      ...atMost('leaked', fleet.counts.leaked, p.thresholds.leaked, 'invariant'),
      ...atMost('p99 ms (request)', fromRequest.p99, p.thresholds.p99Ms, 'benchmark'),
      ...atMost('p50 ms (request)', fromRequest.p50, p.thresholds.p50Ms, 'benchmark'),
    ],
  }
}
