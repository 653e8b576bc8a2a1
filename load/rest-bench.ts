// REST create benchmark: starts its own server (PGlite or PostgreSQL), runs N concurrent clients
// creating memories for a fixed time, and prints throughput and latency percentiles as JSON + Markdown.
//
//   bun load/rest-bench.ts --db pglite --concurrency 8 --duration 20
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bun load/rest-bench.ts --db postgres
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { signToken } from '../src/auth/jwt.ts'
import { parseArgs } from '../src/cli/args.ts'

const { flags } = parseArgs(process.argv.slice(2))
const db = flags.get('db') ?? 'pglite'
const concurrency = Number(flags.get('concurrency') ?? 8)
const durationS = Number(flags.get('duration') ?? 20)
const warmupS = Number(flags.get('warmup') ?? 3)
const root = new URL('..', import.meta.url).pathname
const secret = crypto.randomUUID() + crypto.randomUUID()

async function main() {
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    JWT_SECRET: secret,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    REDIS_URL: '',
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'puo-bench-'))
  env.DATA_DIR = dataDir
  let dropDb: (() => Promise<void>) | undefined
  if (db === 'postgres') {
    const admin = process.env.DATABASE_URL
    if (!admin)
      throw new Error(
        '--db postgres needs DATABASE_URL (an admin URL; a fresh database is created)',
      )
    const name = `puo_bench_${Date.now()}`
    const sql = postgres(admin, { max: 1, onnotice: () => {} })
    await sql.unsafe(`create database ${name}`)
    const u = new URL(admin)
    u.pathname = `/${name}`
    env.DATABASE_URL = u.toString()
    dropDb = async () => {
      await sql.unsafe(`drop database if exists ${name} with (force)`)
      await sql.end()
    }
  } else env.DATABASE_URL = ''

  // --server-flags passes runtime flags to the server, e.g. "--cpu-prof-md --cpu-prof-dir=/tmp/prof".
  const serverFlags = (flags.get('server-flags') ?? '').split(' ').filter(Boolean)
  const server = Bun.spawn([process.execPath, ...serverFlags, 'src/main.ts'], {
    cwd: root,
    env,
    stdout: 'pipe',
    stderr: 'inherit',
  })
  const url = await listeningUrl(server.stdout)
  try {
    const tokens = await Promise.all(
      Array.from({ length: concurrency }, (_, i) =>
        signToken(secret, { tenantId: `bench-${i % 4}`, userId: `u${i}`, ttlSeconds: 3600 }),
      ),
    )
    await run(url, tokens, warmupS * 1000) // warm-up, discarded
    const result = await run(url, tokens, durationS * 1000)
    const report = {
      date: new Date().toISOString(),
      db,
      concurrency,
      durationS,
      requests: result.latencies.length,
      errors: result.errors,
      perSecond: Math.round(result.latencies.length / durationS),
      p50ms: pct(result.latencies, 50),
      p95ms: pct(result.latencies, 95),
      p99ms: pct(result.latencies, 99),
      maxms: pct(result.latencies, 100),
    }
    console.log(JSON.stringify(report))
    console.log(
      `| ${db} | ${concurrency} | ${report.perSecond} | ${report.p50ms} | ${report.p95ms} | ${report.p99ms} | ${report.errors} |`,
    )
  } finally {
    server.kill('SIGTERM')
    await server.exited
    await dropDb?.()
    rmSync(dataDir, { recursive: true, force: true })
  }
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

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return 0
  const sorted = [...xs].sort((a, b) => a - b)
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)
  return Math.round((sorted[Math.max(0, i)] as number) * 100) / 100
}

/** Resolves with the server's URL from its "listening" log line, and keeps draining its log after. */
function listeningUrl(stdout: ReadableStream<Uint8Array>): Promise<string> {
  return new Promise((resolve, reject) => {
    ;(async () => {
      const decoder = new TextDecoder()
      let buf = ''
      let found = false
      for await (const chunk of stdout) {
        if (found) continue
        buf += decoder.decode(chunk, { stream: true })
        const m = /"msg":"listening".*?"url":"([^"]+)"/.exec(buf)
        if (m?.[1]) {
          found = true
          resolve(m[1])
        }
      }
      if (!found) reject(new Error('server exited before listening'))
    })()
  })
}

await main()
