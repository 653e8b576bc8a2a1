// REST create benchmark: starts its own server (PGlite or PostgreSQL), runs N concurrent clients
// creating memories for a fixed time, and prints throughput and latency percentiles as JSON + Markdown.
//
//   bun load/rest-bench.ts --db pglite --concurrency 8 --duration 20
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bun load/rest-bench.ts --db postgres
import { signToken } from '../src/auth/jwt.ts'
import { parseArgs } from '../src/cli/args.ts'
import { startBenchServer } from './lib/server.ts'
import { percentile } from './lib/stats.ts'

const { flags } = parseArgs(process.argv.slice(2))
const db = flags.get('db') === 'postgres' ? 'postgres' : 'pglite'
const concurrency = Number(flags.get('concurrency') ?? 8)
const durationS = Number(flags.get('duration') ?? 20)
const warmupS = Number(flags.get('warmup') ?? 3)
// --server-flags="--cpu-prof-md --cpu-prof-dir=/tmp/prof" passes runtime flags to the server.
const serverFlags = (flags.get('server-flags') ?? '').split(' ').filter(Boolean)

const server = await startBenchServer({ db, flags: serverFlags })
try {
  const tokens = await Promise.all(
    Array.from({ length: concurrency }, (_, i) =>
      signToken(server.secret, { tenantId: `bench-${i % 4}`, userId: `u${i}`, ttlSeconds: 3600 }),
    ),
  )
  await run(server.url, tokens, warmupS * 1000) // warm-up, discarded
  const result = await run(server.url, tokens, durationS * 1000)
  const report = {
    date: new Date().toISOString(),
    db,
    concurrency,
    durationS,
    requests: result.latencies.length,
    errors: result.errors,
    perSecond: Math.round(result.latencies.length / durationS),
    p50ms: percentile(result.latencies, 50),
    p95ms: percentile(result.latencies, 95),
    p99ms: percentile(result.latencies, 99),
    maxms: percentile(result.latencies, 100),
  }
  console.log(JSON.stringify(report))
  console.log(
    `| ${db} | ${concurrency} | ${report.perSecond} | ${report.p50ms} | ${report.p95ms} | ${report.p99ms} | ${report.errors} |`,
  )
} finally {
  await server.stop()
}

async function run(url: string, tokens: string[], ms: number) {
  const latencies: number[] = []
  let errors = 0
  const end = performance.now() + ms
  await Promise.all(
    tokens.map(async (token, i) => {
      let n = 0
      while (performance.now() < end) {
        const t0 = performance.now()
        const res = await fetch(`${url}/api/v4/memories`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            content: `bench note ${i}-${n++} about release planning`,
            tags: ['bench'],
            visibility: 'team',
          }),
        })
        await res.arrayBuffer()
        if (res.status === 201) latencies.push(performance.now() - t0)
        else errors++
      }
    }),
  )
  return { latencies, errors }
}
