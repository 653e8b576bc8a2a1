// A chaos scenario's own small cluster: a fresh PostgreSQL database and a private redis-server, each
// reached through TCP proxies, N instances, Debian's nginx in front and a proxy in front of nginx for
// the clients. Every process and proxy is the scenario's to kill, stop, cut and restore.
import postgres from 'postgres'
import { type Cluster, startCluster } from '../../test/harness/cluster.ts'

type Parts = 'nginx' | 'front' | 'pgProxy' | 'redis'
export type ChaosCluster = Omit<Cluster, Parts> & { [K in Parts]: NonNullable<Cluster[K]> } & {
  /** A direct connection to the scenario's database (the ground truth for the checks). */
  sql: postgres.Sql
}

export async function startChaosCluster(opts: {
  instances: number
  env?: Record<string, string>
}): Promise<ChaosCluster> {
  const admin = process.env.DATABASE_URL
  if (!admin)
    throw new Error('chaos scenarios need DATABASE_URL (an admin URL; a fresh database is created)')
  const cluster = await startCluster({
    instances: opts.instances,
    database: { adminUrl: admin },
    proxies: true,
    nginx: { workerConnections: 9000, workers: 2 },
    server: { showStderr: true },
    env: {
      EVENT_SYNC_INTERVAL_MS: '500',
      SHUTDOWN_RECONNECT_SPREAD_MS: '2000',
      SHUTDOWN_TIMEOUT_MS: '10000',
      WEBSOCKET_MAX_CONNECTIONS: '20000',
      WEBSOCKET_MAX_CONNECTIONS_PER_TENANT: '20000',
      WEBSOCKET_MAX_CONNECTIONS_PER_USER: '5000',
      ...opts.env,
    },
  })
  const { nginx, front, pgProxy, redis } = cluster
  if (!nginx || !front || !pgProxy || !redis) throw new Error('the chaos cluster lacks a part')
  const sql = postgres(cluster.databaseUrl, { max: 2, onnotice: () => {} })
  return {
    ...cluster,
    nginx,
    front,
    pgProxy,
    redis,
    sql,
    async stop() {
      await sql.end({ timeout: 5 })
      await cluster.stop()
    },
  }
}
