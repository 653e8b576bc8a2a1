// (d) reconnect storm: the server restarts (SIGTERM, drain, start again on the same port) under N
// clients while writes go on. Every client reconnects and resumes from its last seq; measured: the time
// until all are back and resumed, how the reconnects spread, and that nothing was lost or duplicated.
import { openFleet } from '../lib/fleet.ts'
import { atMost, type Outcome, round } from '../lib/report.ts'
import type { Params } from '../lib/scenario.ts'
import type { Target } from '../lib/targets.ts'
import { createWriter } from '../lib/writer.ts'

export async function reconnect(p: Params, target: Target): Promise<Outcome> {
  if (!target.restart) throw new Error(`${target.name} cannot restart`)
  const { fleet, opened } = await openFleet(p, target, true)
  const writer = createWriter(target, p.tenants)
  const writing = writer.run(p.writesPerSecond, p.restartAfterSeconds + p.afterRestartSeconds)
  await Bun.sleep(p.restartAfterSeconds * 1000)
  const t0 = performance.timeOrigin + performance.now()
  const restartStart = performance.now()
  await target.restart()
  const restartS = (performance.now() - restartStart) / 1000
  // Back and resumed: every socket completed a subscription (with `since`) after the restart began.
  const deadline = performance.now() + 120_000
  while (fleet.subscribedTimes().some((t) => t < t0) && performance.now() < deadline)
    await Bun.sleep(100)
  const times = fleet.subscribedTimes().map((t) => (t - t0) / 1000)
  const notBack = times.filter((t) => t < 0).length
  const recoverS = Math.max(...times)
  await writing
  await Bun.sleep(3000)
  const lost = fleet.lost(writer.succeeded)
  const reconnects = fleet.listeners.reduce((n, l) => n + l.reconnects, 0)
  fleet.close()
  // How the returns spread over time: sockets back per second after the restart began.
  const perSecond = new Map<number, number>()
  for (const t of times)
    if (t >= 0) perSecond.set(Math.floor(t), (perSecond.get(Math.floor(t)) ?? 0) + 1)
  const busiest = Math.max(...perSecond.values())
  return {
    scenario: 'reconnect',
    target: target.describe(),
    figures: {
      connections: p.connections,
      'writes per s': p.writesPerSecond,
      'writes ok': writer.stats.succeeded,
      'writes refused during the restart': writer.stats.failed,
      'restart s (SIGTERM → listening again)': round(restartS),
      'all back and resumed after s': round(recoverS),
      'not back': notBack,
      'reconnect attempts': reconnects,
      'most sockets back in one second': busiest,
      'back per second': [...perSecond.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([s, n]) => `${s}s:${n}`)
        .join(' '),
      lost,
      duplicated: fleet.counts.duplicates,
      leaked: fleet.counts.leaked,
      'connect errors': opened.errors,
    },
    checks: [
      ...atMost('not back', notBack, 0, 'invariant'),
      ...atMost('lost', lost, p.thresholds.lost, 'invariant'),
      ...atMost('duplicated', fleet.counts.duplicates, p.thresholds.duplicated, 'invariant'),
      ...atMost('leaked', fleet.counts.leaked, p.thresholds.leaked, 'invariant'),
      ...atMost('all back and resumed after s', recoverS, p.thresholds.recoverSeconds, 'benchmark'),
    ],
  }
}
