// The chaos scenarios: one fault each, injected by signals to processes the scenario started and by
// the TCP proxies it owns (between instances and Redis/PostgreSQL, and in front of nginx).

import { percentile } from '../test/harness/stats.ts'
import { debianPython } from '../test/support/env.ts'
import { type Context, type ScenarioDef, waitFor } from './lib/scenario.ts'

const seconds = (s: number) => Bun.sleep(s * 1000)

/** The share of `ms` (offsets from one moment) in the busiest 250 ms window, to two places. */
function busiestShare(ms: number[]): number {
  const windows = new Map<number, number>()
  for (const m of ms) windows.set(Math.floor(m / 250), (windows.get(Math.floor(m / 250)) ?? 0) + 1)
  return Math.round((Math.max(...windows.values()) / ms.length) * 100) / 100
}

export const scenarios: ScenarioDef[] = [
  {
    name: 'kill-instance',
    description:
      'kill -9 one of three instances under load; its clients reconnect through nginx and resume elsewhere',
    instances: 3,
    // Requests in flight on the killed instance get 502 from nginx (a POST is not retried elsewhere).
    tolerates: [502],
    async fault({ cluster }) {
      await cluster.kill(0, 'SIGKILL')
    },
  },
  {
    name: 'rolling-restart',
    description:
      'every instance in turn: taken out of nginx (reload), SIGTERM (drain with 1012), started again, put back',
    instances: 3,
    async fault({ cluster }) {
      const urls = cluster.nodes.map((n) => n.url)
      for (let i = 0; i < cluster.nodes.length; i++) {
        await cluster.nginx.setUpstreams(urls.filter((_, k) => k !== i))
        await cluster.restart(i)
        await cluster.nginx.setUpstreams(urls)
        await seconds(1)
      }
    },
    // Taken out of the balancer first, no instance is sent a request while it stops.
    judgeWrites: (w) =>
      w.ok < w.attempted
        ? [
            `${w.attempted - w.ok} writes failed during the rolling restart` +
              (w.otherStatuses ? ` (${w.otherStatuses})` : '') +
              (w.noAnswerErrors ? ` (no answer: ${w.noAnswerErrors})` : ''),
          ]
        : [],
  },
  {
    name: 'redis-killed',
    description: 'redis-server killed (SIGKILL) and started again 3 s later',
    instances: 2,
    async fault({ cluster }) {
      await cluster.redis.kill('SIGKILL')
      await seconds(3)
      await cluster.redis.start()
    },
  },
  {
    name: 'redis-hung',
    description: 'redis-server stopped (SIGSTOP) for the fault duration, then continued',
    instances: 2,
    async fault({ cluster, size }) {
      cluster.redis.signal('SIGSTOP')
      await seconds(size.faultS)
      cluster.redis.signal('SIGCONT')
    },
  },
  {
    name: 'postgres-down',
    description:
      'PostgreSQL unreachable (every connection cut, new ones refused) for the fault duration',
    instances: 2,
    async fault({ cluster, size }) {
      cluster.pgProxy.cut()
      await seconds(size.faultS)
      cluster.pgProxy.restore()
    },
    // Clean failure: every write the outage touched is answered 503, promptly (none hangs).
    judgeWrites: (w) => [
      ...(w.refused === 0 ? ['no write was refused: the outage did not happen?'] : []),
      ...(w.noAnswer > 0
        ? [`${w.noAnswer} writes got no answer within 15 s (${w.noAnswerErrors})`]
        : []),
    ],
  },
  {
    name: 'redis-partition',
    description: 'one instance cut off from Redis (its proxy cut) while its clients stay connected',
    instances: 2,
    async fault({ cluster, size }) {
      cluster.redisProxies[0]?.cut()
      await seconds(size.faultS)
      cluster.redisProxies[0]?.restore()
    },
  },
  {
    name: 'reconnect-storm',
    description:
      'every client (5,000; 500 in the short run) loses its connection at once (the front proxy drops them all)',
    instances: 2,
    size: (short) => ({
      tenants: 5,
      usersPerTenant: short ? 50 : 500,
      clientsPerUser: 1,
      writesPerSecond: 20,
    }),
    async fault(ctx) {
      const { cluster, clients } = ctx
      const before = clients.map((c) => c.subscribedAt.length)
      const t0 = Date.now()
      cluster.front.cut()
      await Bun.sleep(100)
      cluster.front.restore()
      // Back: each client completed a new subscription (a resume) after the drop.
      await waitFor(
        () => clients.every((c, i) => c.subscribedAt.length > (before[i] ?? 0)),
        120_000,
        'every client back',
      )
      const back = clients.map((c, i) => (c.subscribedAt[before[i] ?? 0] ?? t0) - t0)
      ctx.figures['all back and resumed after ms'] = Math.max(...back)
      ctx.figures['median back after ms'] = percentile(back, 50)
      ctx.figures['busiest 250 ms window share'] = busiestShare(back)
      // Spread: the clients' first attempts after the drop, which their backoff times. When the
      // attempts come back done (the figures above) depends on how fast two busy cores serve them.
      const firstAttempts = clients.map((c) => (c.dialedAt.find((ms) => ms >= t0) ?? t0) - t0)
      const busiest = busiestShare(firstAttempts)
      ctx.figures['busiest 250 ms window share of first attempts'] = busiest
      if (busiest > 0.5)
        ctx.failures.push(
          `reconnects were not spread: ${Math.round(busiest * 100)} % of the first attempts in one 250 ms window`,
        )
    },
  },
  {
    name: 'slow-consumers',
    description:
      'slow consumers that stop reading, mixed with normal clients: they are closed with 1013, the others keep their latency',
    instances: 2,
    env: { WEBSOCKET_BACKPRESSURE_LIMIT: '262144' },
    // Big frames: the kernel's socket buffers (megabytes on loopback) must fill before the server's
    // queue grows past its limit.
    padding: 100_000,
    size: (short) => ({ writesPerSecond: 30, faultS: short ? 10 : 15 }),
    async fault(ctx) {
      const { cluster, clients, size } = ctx
      // The no-fault run: normal clients' latency over as long as the fault will last.
      const mark = clients.map((c) => c.latencies.length)
      await seconds(size.faultS)
      const baseline = clients.flatMap((c, i) => c.latencies.slice(mark[i]))
      const slow = await Promise.all(
        Array.from({ length: 4 }, async (_, k) => {
          const token = await cluster.token(
            ctx.tenants[k % ctx.tenants.length] as string,
            `slow-${k}`,
          )
          // Straight to an instance: nginx would absorb the backlog in its own buffers first.
          const port = String(cluster.nodes[k % cluster.nodes.length]?.port)
          return Bun.spawn(
            [debianPython, slowConsumer, '127.0.0.1', port, token, String(size.faultS)],
            { stdout: 'pipe', stderr: 'inherit' },
          )
        }),
      )
      // Each prints {"ready": true} once subscribed and then stops reading: the fault starts there,
      // after its interpreter's start-up, which is not the fault being measured.
      const outputs = await Promise.all(slow.map((p) => readyOutput(p.stdout)))
      const mark2 = clients.map((c) => c.latencies.length)
      await seconds(size.faultS)
      const during = clients.flatMap((c, i) => c.latencies.slice(mark2[i]))
      const results = await Promise.all(outputs.map(async (o) => lastJson(await o.rest())))
      const closedWith1013 = results.filter((r) => r?.close_code === 1013).length
      const p99Before = percentile(baseline, 99)
      const p99During = percentile(during, 99)
      const p95Before = percentile(baseline, 95)
      const p95During = percentile(during, 95)
      ctx.figures['slow consumers closed with 1013'] = `${closedWith1013}/${slow.length}`
      ctx.figures['normal p99 ms, no fault → with slow consumers'] = `${p99Before} → ${p99During}`
      ctx.figures['normal p95 ms, no fault → with slow consumers'] = `${p95Before} → ${p95During}`
      if (closedWith1013 < slow.length)
        ctx.failures.push(
          `only ${closedWith1013} of ${slow.length} slow consumers were closed with 1013`,
        )
      // Judged on p95: one stall of the host's a tenth of a second long, with or without the
      // fault, holds 1 % of a window's deliveries and has moved p99 by tens of ms either way; slow
      // consumers that held the others up would do so until their 1013, for seconds.
      // Timestamps have millisecond resolution: allow 2 ms on top of twice the no-fault p95.
      if (p95During > 2 * p95Before + 2)
        ctx.failures.push(`normal clients' p95 went from ${p95Before} to ${p95During} ms`)
    },
  },
]

const slowConsumer = new URL('../test/clients/slow_consumer.py', import.meta.url).pathname

/** Reads a slow consumer's stdout up to its "ready" line; `rest()` reads on to the end (all of it). */
async function readyOutput(stdout: ReadableStream<Uint8Array>) {
  const reader = stdout.getReader()
  const decoder = new TextDecoder()
  let text = ''
  const more = async () => {
    const { value, done } = await reader.read()
    if (!done) text += decoder.decode(value, { stream: true })
    return !done
  }
  while (!text.includes('"ready"') && (await more())) {}
  return {
    async rest(): Promise<string> {
      while (await more()) {}
      return text
    },
  }
}

function lastJson(out: string): { close_code?: number } | undefined {
  const lines = out.trim().split('\n')
  try {
    return JSON.parse(lines.at(-1) ?? '') as { close_code?: number }
  } catch {
    return undefined
  }
}

export type { Context }
