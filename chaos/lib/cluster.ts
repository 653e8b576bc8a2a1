// A chaos scenario's own small cluster: a fresh PostgreSQL database reached through a TCP proxy, a
// private redis-server reached through one proxy per instance, N instances on fixed ports, Debian's
// nginx in front, and a proxy in front of nginx for the clients. Every process and proxy is ours to
// kill, stop, cut and restore.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { cpuSecondsOf, rssOf, type ServerProcess, spawnListening } from '../../load/lib/process.ts'
import { signToken } from '../../src/auth/jwt.ts'
import { type Nginx, startNginx } from '../../test/support/nginx.ts'
import { freePort, type PrivateRedis, startPrivateRedis } from '../../test/support/redis.ts'
import { startTcpProxy, type TcpProxy } from '../../test/support/tcp-proxy.ts'

const root = new URL('../..', import.meta.url).pathname

export interface Node {
  id: string
  port: number
  url: string
  process: ServerProcess | undefined
  /** Killed on purpose and not started again: exempt from "still up". */
  isDown: boolean
  /** Restarted during the scenario: its memory has no baseline to return to. */
  wasRestarted: boolean
}

export interface ChaosCluster {
  nodes: Node[]
  nginx: Nginx
  /** What clients connect to: a proxy in front of nginx (cut it and every client drops at once). */
  front: TcpProxy
  frontUrl: string
  redis: PrivateRedis
  redisProxies: TcpProxy[]
  pgProxy: TcpProxy
  /** A direct connection to the scenario's database (the ground truth for the checks). */
  sql: postgres.Sql
  token(tenant: string, user: string): Promise<string>
  kill(i: number, signal?: NodeJS.Signals): Promise<void>
  start(i: number): Promise<void>
  /** SIGTERM (graceful drain), then start again on the same port. */
  restart(i: number): Promise<void>
  rss(i: number): number
  cpuSeconds(i: number): number
  gc(): Promise<void>
  stop(): Promise<void>
}

export async function startChaosCluster(opts: {
  instances: number
  env?: Record<string, string>
}): Promise<ChaosCluster> {
  const admin = process.env.DATABASE_URL
  if (!admin)
    throw new Error('chaos scenarios need DATABASE_URL (an admin URL; a fresh database is created)')
  const adminSql = postgres(admin, { max: 1, onnotice: () => {} })
  const dbName = `puo_chaos_${Date.now()}_${Math.floor(Math.random() * 1000)}`
  await adminSql.unsafe(`create database ${dbName}`)
  const direct = new URL(admin)
  direct.pathname = `/${dbName}`
  const pgProxy = await startTcpProxy(direct.hostname, Number(direct.port || 5432))
  const viaProxy = new URL(direct)
  viaProxy.hostname = '127.0.0.1'
  viaProxy.port = String(pgProxy.port)

  const redis = await startPrivateRedis()
  const redisProxies = await Promise.all(
    Array.from({ length: opts.instances }, () => startTcpProxy('127.0.0.1', redis.port)),
  )
  const secret = crypto.randomUUID() + crypto.randomUUID()
  const nodes: Node[] = []
  for (let i = 0; i < opts.instances; i++) {
    const port = await freePort()
    nodes.push({
      id: `chaos-${i}`,
      port,
      url: `http://127.0.0.1:${port}`,
      process: undefined,
      isDown: false,
      wasRestarted: false,
    })
  }
  const envOf = (i: number): Record<string, string> => ({
    ...(process.env as Record<string, string>),
    HOST: '127.0.0.1',
    PORT: String(nodes[i]?.port),
    INSTANCE_ID: `chaos-${i}`,
    DATA_DIR: mkdtempSync(join(tmpdir(), 'puo-chaos-')),
    DATABASE_URL: viaProxy.toString(),
    REDIS_URL: `redis://127.0.0.1:${redisProxies[i]?.port}`,
    JWT_SECRET: secret,
    LOG_LEVEL: 'info',
    EVENT_SYNC_INTERVAL_MS: '500',
    SHUTDOWN_RECONNECT_SPREAD_MS: '2000',
    SHUTDOWN_TIMEOUT_MS: '10000',
    WEBSOCKET_MAX_CONNECTIONS: '20000',
    WEBSOCKET_MAX_CONNECTIONS_PER_TENANT: '20000',
    WEBSOCKET_MAX_CONNECTIONS_PER_USER: '5000',
    ...opts.env,
  })
  const start = async (i: number) => {
    const node = nodes[i] as Node
    node.process = await spawnListening(
      [process.execPath, '--max-http-header-size=1048576', 'src/main.ts'],
      {
        cwd: root,
        env: envOf(i),
      },
    )
    node.isDown = false
  }
  // The first instance migrates alone (the others would wait on its lock anyway).
  await start(0)
  await Promise.all(nodes.slice(1).map((_, i) => start(i + 1)))
  const nginx = await startNginx(
    nodes.map((n) => n.url),
    { workerConnections: 9000, workers: 2 },
  )
  const ngUrl = new URL(nginx.url)
  const front = await startTcpProxy('127.0.0.1', Number(ngUrl.port))
  const sql = postgres(direct.toString(), { max: 2, onnotice: () => {} })

  const kill = async (i: number, signal: NodeJS.Signals = 'SIGKILL') => {
    const p = nodes[i]?.process
    if (!p) return
    p.proc.kill(signal)
    await p.proc.exited
    ;(nodes[i] as Node).isDown = true
  }
  return {
    nodes,
    nginx,
    front,
    frontUrl: `http://127.0.0.1:${front.port}`,
    redis,
    redisProxies,
    pgProxy,
    sql,
    token: (tenant, user) =>
      signToken(secret, { tenantId: tenant, userId: user, ttlSeconds: 86_400 }),
    kill,
    start,
    async restart(i) {
      await kill(i, 'SIGTERM')
      await start(i)
      ;(nodes[i] as Node).wasRestarted = true
    },
    rss: (i) => rssOf(nodes[i]?.process?.pid ?? 0),
    cpuSeconds: (i) => cpuSecondsOf(nodes[i]?.process?.pid ?? 0),
    async gc() {
      for (const n of nodes) if (!n.isDown) n.process?.proc.kill('SIGUSR2')
      await Bun.sleep(1000)
    },
    async stop() {
      front.stop()
      await nginx.stop()
      await Promise.all(nodes.map((_, i) => kill(i, 'SIGTERM')))
      for (const p of redisProxies) p.stop()
      pgProxy.stop()
      await redis.stop()
      await sql.end({ timeout: 5 })
      await adminSql.unsafe(`drop database if exists ${dbName} with (force)`)
      await adminSql.end()
    },
  }
}
