// (f) REST: `clients` concurrent clients create memories for `durationSeconds`, then read them back
// by id for as long; throughput and latency of each.
import { signToken } from '../../src/auth/jwt.ts'
import { summary } from '../../test/harness/stats.ts'
import { atMost, type Outcome } from '../lib/report.ts'
import type { Params } from '../lib/scenario.ts'
import type { BenchServer } from '../lib/server.ts'

export async function rest(p: Params, server: BenchServer, db: string): Promise<Outcome> {
  const tokens = await Promise.all(
    Array.from({ length: p.clients }, (_, i) =>
      signToken(server.secret, { tenantId: `rest-${i % 4}`, userId: `u${i}`, ttlSeconds: 3600 }),
    ),
  )
  const ids: string[][] = tokens.map(() => [])
  const phase = async (
    ms: number,
    call: (i: number, n: number) => Promise<Response>,
    keep: boolean,
  ) => {
    const latencies: number[] = []
    let errors = 0
    const end = performance.now() + ms
    await Promise.all(
      tokens.map(async (_, i) => {
        for (let n = 0; performance.now() < end; n++) {
          const t0 = performance.now()
          const res = await call(i, n)
          const body = (await res.json()) as { id?: string }
          if (res.ok) {
            latencies.push(performance.now() - t0)
            if (keep && body.id) ids[i]?.push(body.id)
          } else errors++
        }
      }),
    )
    return { latencies, errors }
  }
  const create = (i: number, n: number) =>
    fetch(`${server.url}/api/v4/memories`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens[i]}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        content: `rest ${i}-${n} about release planning`,
        tags: ['load'],
        visibility: 'team',
      }),
    })
  const read = (i: number, n: number) => {
    const mine = ids[i] as string[]
    return fetch(`${server.url}/api/v4/memories/${mine[n % mine.length]}`, {
      headers: { authorization: `Bearer ${tokens[i]}` },
    })
  }
  await phase(2000, create, true) // warm-up
  const created = await phase(p.durationSeconds * 1000, create, true)
  const readBack = await phase(p.durationSeconds * 1000, read, false)
  const c = summary(created.latencies)
  const r = summary(readBack.latencies)
  const errors = created.errors + readBack.errors
  return {
    scenario: 'rest',
    target: `PUO Memo, 1 instance, ${db}`,
    figures: {
      clients: p.clients,
      'creates per s': Math.round(c.count / p.durationSeconds),
      'create p50 ms': c.p50,
      'create p99 ms': c.p99,
      'reads per s': Math.round(r.count / p.durationSeconds),
      'read p50 ms': r.p50,
      'read p99 ms': r.p99,
      errors,
    },
    checks: atMost('errors', errors, p.thresholds.errors, 'invariant'),
  }
}
