// Starts a PUO Memo server process for a benchmark (fresh PGlite dir or fresh PostgreSQL database).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'

export interface BenchServer {
  url: string
  /** The database it uses ('' for PGlite). */
  databaseUrl: string
  pid: number
  secret: string
  /** Resident memory of the server process, in bytes. */
  rss(): number
  /** Asks the server for a full garbage collection (SIGUSR2) and waits for it to settle. */
  gc(): Promise<void>
  stop(): Promise<void>
}

const root = new URL('../..', import.meta.url).pathname

export async function startBenchServer(opts: {
  db: 'pglite' | 'postgres'
  /** Use this PostgreSQL database instead of creating one (several instances share it). */
  databaseUrl?: string
  /** Share one JWT secret between instances. */
  secret?: string
  env?: Record<string, string>
  /** Runtime flags for the server, e.g. --cpu-prof-md. */
  flags?: string[]
  /** Run the server under `taskset -c <cpus>`. */
  cpus?: string
}): Promise<BenchServer> {
  const secret = opts.secret ?? crypto.randomUUID() + crypto.randomUUID()
  const dataDir = mkdtempSync(join(tmpdir(), 'puo-bench-'))
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    JWT_SECRET: secret,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info', // the "listening" line is logged at info
    REDIS_URL: '',
    DATA_DIR: dataDir,
    DATABASE_URL: '',
    ...opts.env,
  }
  let dropDb: (() => Promise<void>) | undefined
  if (opts.db === 'postgres' && opts.databaseUrl) {
    env.DATABASE_URL = opts.databaseUrl
  } else if (opts.db === 'postgres') {
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
  }
  const cmd = [process.execPath, ...(opts.flags ?? []), 'src/main.ts']
  // taskset execs the server in place, so the child's pid is the server's either way (signals, /proc).
  const proc = Bun.spawn(opts.cpus ? ['taskset', '-c', opts.cpus, ...cmd] : cmd, {
    cwd: root,
    env,
    stdout: 'pipe',
    stderr: 'inherit',
  })
  const url = await listeningUrl(proc.stdout)
  return {
    url,
    databaseUrl: env.DATABASE_URL ?? '',
    pid: proc.pid,
    secret,
    rss: () => {
      const status = readFileSync(`/proc/${proc.pid}/status`, 'utf8')
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024
    },
    async gc() {
      proc.kill('SIGUSR2')
      await Bun.sleep(1000)
    },
    async stop() {
      proc.kill('SIGTERM')
      await proc.exited
      await dropDb?.()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** Resolves with the server's URL from its "listening" log line, and keeps draining its log after. */
function listeningUrl(stdout: ReadableStream<Uint8Array>): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('server did not log "listening" within 60 s')),
      60_000,
    )
    ;(async () => {
      const decoder = new TextDecoder()
      let buf = ''
      let found = false
      for await (const chunk of stdout) {
        if (found) continue
        buf += decoder.decode(chunk, { stream: true })
        const lines = buf.split('\n')
        buf = lines.pop() ?? ''
        for (const line of lines) {
          const url = listeningIn(line)
          if (url && !found) {
            found = true
            clearTimeout(timer)
            resolve(url)
          }
        }
      }
      if (!found) reject(new Error('server exited before listening'))
    })()
  })
}

function listeningIn(line: string): string | undefined {
  try {
    const entry = JSON.parse(line) as { msg?: string; url?: string }
    return entry.msg === 'listening' ? entry.url : undefined
  } catch {
    return undefined
  }
}
