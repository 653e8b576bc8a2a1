// Several server processes on one PostgreSQL database and one Redis, for tests, load runs and chaos:
// optionally with TCP proxies in front of the database and of each instance's Redis (to cut them),
// Debian's nginx in front of the instances, and a proxy in front of nginx. Every process and proxy
// is the caller's to kill, stop, cut and restore; instances keep their ports across restarts.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { signToken } from '../../src/auth/jwt.ts'
import { createFreshDatabase, type FreshDatabase } from './database.ts'
import { type Nginx, startNginx } from './nginx.ts'
import { freePort, type PrivateRedis, startPrivateRedis } from './redis.ts'
import { type RunningServer, type ServerOptions, startServer } from './server.ts'
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts'

export interface ClusterOptions {
  instances: number
  /** The database: `url` to share one, or `adminUrl` to create a fresh one (dropped at stop). */
  database: { url: string } | { adminUrl: string }
  /** A Redis to share; without it the cluster starts a private redis-server. */
  redisUrl?: string
  /** Reach the database, and each instance its Redis, through a TCP proxy of the cluster's. */
  proxies?: boolean
  /** Debian's nginx in front of the instances (and, with `proxies`, a proxy in front of nginx). */
  nginx?: Parameters<typeof startNginx>[1]
  /** Server settings over the cluster's own (instance id, data dir, database, Redis, secret). */
  env?: Record<string, string>
  /** How each instance's process runs (profiling flags, CPU pinning, kept lines). */
  server?: ServerOptions
}

export interface ClusterNode {
  id: string
  url: string
  port: number
  server: RunningServer
  /** Killed on purpose and not started again. */
  isDown: boolean
  /** Restarted since the cluster started. */
  wasRestarted: boolean
}

export type Cluster = Awaited<ReturnType<typeof startCluster>>

export async function startCluster(opts: ClusterOptions) {
  const fresh: FreshDatabase | undefined =
    'adminUrl' in opts.database
      ? await createFreshDatabase(opts.database.adminUrl, 'puo_cluster')
      : undefined
  const databaseUrl = fresh?.url ?? ('url' in opts.database ? opts.database.url : '')
  let pgProxy: TcpProxy | undefined
  let redis: PrivateRedis | undefined
  let redisProxies: TcpProxy[] = []
  let redisUrl = ''
  const secret = crypto.randomUUID() + crypto.randomUUID()
  const envOf = async (i: number): Promise<Record<string, string>> => ({
    INSTANCE_ID: `node-${i}`,
    PORT: String(await freePort()),
    DATA_DIR: mkdtempSync(join(tmpdir(), `puo-node-${i}-`)),
    DATABASE_URL: pgProxy ? via(databaseUrl, pgProxy) : databaseUrl,
    REDIS_URL: redisProxies[i] ? via(redisUrl, redisProxies[i]) : redisUrl,
    JWT_SECRET: secret,
    ...opts.env,
  })
  const nodes: ClusterNode[] = []
  const startNode = async (i: number) => {
    const server = await startServer(await envOf(i), opts.server)
    const port = Number(new URL(server.url).port)
    nodes[i] = {
      id: `node-${i}`,
      url: server.url,
      port,
      server,
      isDown: false,
      wasRestarted: false,
    }
  }
  let nginx: Nginx | undefined
  let front: TcpProxy | undefined
  const running = () => nodes.filter((n) => n.server.isRunning())
  /** Stops every part started so far, the front door first, and drops the fresh database. */
  const stopParts = async () => {
    front?.stop()
    await nginx?.stop()
    await Promise.all(running().map((n) => n.server.stop()))
    for (const p of redisProxies) p.stop()
    pgProxy?.stop()
    await redis?.stop()
    await fresh?.drop()
  }
  try {
    pgProxy = opts.proxies ? await proxyTo(databaseUrl) : undefined
    redis = opts.redisUrl ? undefined : await startPrivateRedis()
    redisUrl = opts.redisUrl ?? (redis as PrivateRedis).url
    const proxyRedis = () => proxyTo(redisUrl)
    redisProxies = opts.proxies
      ? await Promise.all(Array.from({ length: opts.instances }, proxyRedis))
      : []
    // The first instance migrates alone (the others would wait on its lock anyway).
    await startNode(0)
    await Promise.all(Array.from({ length: opts.instances - 1 }, (_, i) => startNode(i + 1)))
    nginx = opts.nginx ? await startNginx(urlsOf(nodes), opts.nginx) : undefined
    front = nginx && opts.proxies ? await proxyTo(nginx.url) : undefined
  } catch (err) {
    // A part that fails to start (no nginx or redis-server on this machine, a server that never
    // listens) leaves nothing behind: the parts already started are stopped, the fresh database dropped.
    await stopParts()
    throw err
  }
  const urls = urlsOf(nodes)
  const node = (i: number) => nodes[i] as ClusterNode
  const kill = async (i: number, signal: NodeJS.Signals = 'SIGKILL') => {
    if (node(i).server.isRunning()) await node(i).server.kill(signal)
    node(i).isDown = true
  }
  const start = async (i: number) => {
    await node(i).server.start()
    node(i).isDown = false
  }
  return {
    nodes,
    /** Each instance's own URL. */
    urls,
    /** Where clients go: the proxy in front of nginx, nginx, or the first instance. */
    url: front ? `http://127.0.0.1:${front.port}` : (nginx?.url ?? (urls[0] as string)),
    /** The database, reached directly (the ground truth for checks). */
    databaseUrl,
    secret,
    token: (tenantId: string, userId: string) =>
      signToken(secret, { tenantId, userId, ttlSeconds: 86_400 }),
    redis,
    nginx,
    front,
    pgProxy,
    redisProxies,
    kill,
    start,
    /** SIGTERM (graceful drain), then start again on the same port. */
    async restart(i: number) {
      await kill(i, 'SIGTERM')
      await start(i)
      node(i).wasRestarted = true
    },
    /** Summed over the running instances. */
    rss: () => running().reduce((sum, n) => sum + n.server.rss(), 0),
    cpuSeconds: () => running().reduce((sum, n) => sum + n.server.cpuSeconds(), 0),
    async gc() {
      await Promise.all(running().map((n) => n.server.gc()))
    },
    stop: stopParts,
  }
}

const DEFAULT_PORTS: Record<string, number> = { 'redis:': 6379, 'http:': 80 }

const urlsOf = (nodes: ClusterNode[]) => nodes.map((n) => n.url)

/** A TCP proxy of ours in front of the host and port of a URL (PostgreSQL's when it names none). */
function proxyTo(url: string): Promise<TcpProxy> {
  const u = new URL(url)
  return startTcpProxy(u.hostname, Number(u.port || (DEFAULT_PORTS[u.protocol] ?? 5432)))
}

/** The URL, pointed at the proxy instead. */
function via(url: string, proxy: TcpProxy): string {
  const u = new URL(url)
  u.hostname = '127.0.0.1'
  u.port = String(proxy.port)
  return u.toString()
}
