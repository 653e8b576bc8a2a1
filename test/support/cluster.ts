// Several server processes on one PostgreSQL database and one Redis, as a test's private cluster.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { signToken } from '../../src/auth/jwt.ts'
import { type RunningServer, startServer } from './server.ts'

export interface TestCluster {
  servers: RunningServer[]
  urls: string[]
  secret: string
  token(tenantId: string, userId: string): Promise<string>
  /** Starts instance i again (after a kill) with the same settings. */
  restart(i: number): Promise<void>
  stop(): Promise<void>
}

export async function startCluster(
  n: number,
  opts: { databaseUrl: string; redisUrl: string; env?: Record<string, string> },
): Promise<TestCluster> {
  const secret = 'k'.repeat(40)
  const envFor = (i: number) => ({
    DATABASE_URL: opts.databaseUrl,
    REDIS_URL: opts.redisUrl,
    JWT_SECRET: secret,
    INSTANCE_ID: `node-${i}`,
    DATA_DIR: mkdtempSync(join(tmpdir(), `puo-node-${i}-`)),
    EVENT_SYNC_INTERVAL_MS: '500',
    ...opts.env,
  })
  const started = await Promise.allSettled(
    Array.from({ length: n }, (_, i) => startServer(envFor(i))),
  )
  const servers = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
  const failed = started.find((r) => r.status === 'rejected')
  if (failed) {
    await Promise.all(servers.map((s) => s.stop()))
    throw (failed as PromiseRejectedResult).reason
  }
  const cluster: TestCluster = {
    servers,
    urls: servers.map((s) => s.url),
    secret,
    token: (tenantId, userId) => signToken(secret, { tenantId, userId, ttlSeconds: 3600 }),
    async restart(i) {
      servers[i] = await startServer(envFor(i))
      cluster.urls[i] = (servers[i] as RunningServer).url
    },
    async stop() {
      await Promise.all(
        servers.map(async (s) => {
          if (s.proc.exitCode === null && s.proc.signalCode === null) await s.stop()
        }),
      )
    },
  }
  return cluster
}
