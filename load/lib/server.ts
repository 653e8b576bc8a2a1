// One PUO Memo server process for a benchmark, on a fresh PGlite directory or a fresh PostgreSQL database.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createFreshDatabase } from '../../test/harness/database.ts'
import { type RunningServer, type ServerOptions, startServer } from '../../test/harness/server.ts'

export interface BenchServer extends Omit<RunningServer, 'stop'> {
  secret: string
  /** The fresh PostgreSQL database's name (none on PGlite). */
  database: string | undefined
  /** SIGTERM (graceful drain), wait for the exit, start again on the same port. */
  restart(): Promise<void>
  /** Stops it and removes its database. */
  stop(): Promise<void>
}

export async function startBenchServer(
  opts: { db: 'pglite' | 'postgres'; env?: Record<string, string> } & Pick<
    ServerOptions,
    'flags' | 'cpus'
  >,
): Promise<BenchServer> {
  const { db, env, ...run } = opts
  const secret = crypto.randomUUID() + crypto.randomUUID()
  const dataDir = mkdtempSync(join(tmpdir(), 'puo-bench-'))
  const admin = process.env.DATABASE_URL
  if (db === 'postgres' && !admin)
    throw new Error('--db postgres needs DATABASE_URL (an admin URL; a fresh database is created)')
  const fresh =
    db === 'postgres' ? await createFreshDatabase(admin as string, 'puo_bench') : undefined
  const removeData = async () => {
    await fresh?.drop()
    rmSync(dataDir, { recursive: true, force: true })
  }
  const server = await startServer(
    {
      JWT_SECRET: secret,
      DATA_DIR: dataDir,
      DATABASE_URL: fresh?.url ?? '',
      ...env,
    },
    { ...run, keepLines: false, showStderr: true },
  ).catch(async (err: unknown) => {
    // A server that never started leaves no database or data directory behind.
    await removeData()
    throw err
  })
  return Object.assign(server, {
    secret,
    database: fresh ? databaseNameOf(fresh.url) : undefined,
    async restart() {
      await server.kill('SIGTERM')
      await server.start()
    },
    async stop() {
      await server.kill('SIGTERM')
      await removeData()
    },
  })
}

/** The database a PostgreSQL URL names. */
export const databaseNameOf = (url: string): string =>
  decodeURIComponent(new URL(url).pathname.slice(1))
