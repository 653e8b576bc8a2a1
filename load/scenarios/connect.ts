// (a) connect: ramp to N sockets, all subscribed; connect rate, memory per idle connection and the
// server's CPU while they idle.
import { createFleet } from '../lib/fleet.ts'
import { atMost, type Outcome, round } from '../lib/report.ts'
import type { Params } from '../lib/scenario.ts'
import type { Target } from '../lib/targets.ts'

export async function connect(p: Params, target: Target): Promise<Outcome> {
  await target.gc()
  const before = target.rss()
  const fleet = createFleet({
    target,
    connections: p.connections,
    tenants: p.tenants,
    concurrency: p.connectConcurrency,
  })
  const { connectMs, errors } = await fleet.open()
  // Idle upkeep: the server's CPU while every socket is open and nothing is written.
  const cpu0 = target.cpuSeconds()
  await Bun.sleep(p.holdSeconds * 1000)
  const idleCpuMsPerS = ((target.cpuSeconds() - cpu0) * 1000) / p.holdSeconds
  await target.gc()
  const after = target.rss()
  const subscribed = fleet.subscribedCount()
  fleet.close()
  const kb = (after - before) / p.connections / 1024
  return {
    scenario: 'connect',
    target: target.describe(),
    figures: {
      connections: p.connections,
      subscribed,
      'connect errors': errors + fleet.counts.errors,
      'connect time s': round(connectMs / 1000),
      'connects per s': Math.round(p.connections / (connectMs / 1000)),
      'server RSS before MB': round(before / 1048576, 1),
      'server RSS after MB': round(after / 1048576, 1),
      'KB per idle connection': round(kb),
      'server CPU ms per s, idle': round(idleCpuMsPerS),
    },
    checks: [
      ...atMost(
        'connect errors',
        errors + (p.connections - subscribed),
        p.thresholds.errors,
        'invariant',
      ),
      ...atMost('KB per idle connection', kb, p.thresholds.kbPerConnection, 'benchmark'),
    ],
  }
}
