// Starts a PUO Memo server process for a benchmark (fresh PGlite dir or fresh PostgreSQL database).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { cpuSecondsOf, rssOf, spawnListening } from './process.ts'

export interface BenchServer {
  url: string
  /** The database it uses ('' for PGlite). */
  databaseUrl: string
  pid: number
  secret: string
  /** Resident memory of the server process, in bytes. */
  rss(): number
  /** CPU time (user + system) the server process has used so far, in seconds. */
  cpuSeconds(): number
  /** Asks the server for a full garbage collection (SIGUSR2) and waits for it to settle. */
  gc(): Promise<void>
  /** SIGTERM (graceful drain), wait for the exit, start again on the same port. */
  restart(): Promise<void>
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
  const start = () =>
    spawnListening(cmd, { cwd: root, env, ...(opts.cpus ? { cpus: opts.cpus } : {}) })
  let current = await start()
  // A restart keeps the port, so clients find the new process where the old one was.
  env.PORT = new URL(current.url).port
  return {
    get url() {
      return current.url
    },
    databaseUrl: env.DATABASE_URL ?? '',
    get pid() {
      return current.pid
    },
    secret,
    rss: () => rssOf(current.pid),
    cpuSeconds: () => cpuSecondsOf(current.pid),
    async gc() {
      current.proc.kill('SIGUSR2')
      await Bun.sleep(1000)
    },
    async restart() {
      current.proc.kill('SIGTERM')
      await current.proc.exited
      current = await start()
    },
    async stop() {
      current.proc.kill('SIGTERM')
      await current.proc.exited
      await dropDb?.()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
