// The servers a scenario runs against: PUO Memo (one instance, or several behind nginx with Redis),
// and the reference peers (raw Bun topics, Socket.IO). Each speaks one of three wire protocols.
import { signToken } from '../../src/auth/jwt.ts'
import { type Nginx, startNginx } from '../../test/support/nginx.ts'
import { type PrivateRedis, startPrivateRedis } from '../../test/support/redis.ts'
import { cpuSecondsOf, rssOf, type ServerProcess, spawnListening } from './process.ts'
import { type BenchServer, startBenchServer } from './server.ts'

export type Protocol = 'puo' | 'raw' | 'socketio'
export type TargetName = 'puo' | 'raw-bun' | 'socketio'

export interface Target {
  name: string
  protocol: Protocol
  /** Where writes and sockets go (nginx for a cluster). */
  url: string
  /** The socket URL of one user of one tenant. */
  socketUrl(tenant: string, user: string): Promise<string>
  /** One write that every socket of the tenant must receive; resolves with the HTTP status. */
  write(tenant: string, content: string): Promise<number>
  /** Sum over the measured server processes. */
  rss(): number
  cpuSeconds(): number
  gc(): Promise<void>
  /** Graceful restart on the same address (PUO Memo only). */
  restart?(): Promise<void>
  /** A short description of what runs, for the report. */
  describe(): string
  stop(): Promise<void>
}

export interface TargetOptions {
  db: 'pglite' | 'postgres'
  /** CPU list for the server processes (taskset), e.g. "0". */
  cpus?: string
  /** Extra server environment (PUO Memo). */
  env?: Record<string, string>
  /** Runtime flags for PUO Memo servers (e.g. profiling). */
  flags?: string[]
}

const root = new URL('../..', import.meta.url).pathname

const post = (url: string, headers: Record<string, string>, body: unknown) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  }).then(async (r) => {
    await r.arrayBuffer()
    return r.status
  })

export async function startTarget(name: TargetName, opts: TargetOptions): Promise<Target> {
  if (name === 'puo') return puoTarget(await startBenchServer({ ...opts, db: opts.db }), opts)
  const cmd =
    name === 'raw-bun'
      ? [process.execPath, 'load/peers/raw-bun.ts']
      : ['node', '--expose-gc', 'load/peers/socketio.mjs']
  const server = await spawnListening(cmd, {
    cwd: root,
    env: { ...(process.env as Record<string, string>), PORT: '0', REDIS_URL: '' },
    ...(opts.cpus ? { cpus: opts.cpus } : {}),
  })
  return peerTarget(name, [server], server.url)
}

/** `via`: where clients and writes go (the server itself, or a load balancer in front of it). */
function puoTarget(server: BenchServer, opts: TargetOptions, via?: string): Target {
  const base = () => via ?? server.url
  const writers = new Map<string, Promise<string>>()
  const writerToken = (tenant: string) => {
    let t = writers.get(tenant)
    if (!t) {
      t = signToken(server.secret, { tenantId: tenant, userId: 'writer', ttlSeconds: 86_400 })
      writers.set(tenant, t)
    }
    return t
  }
  return {
    name: 'puo',
    protocol: 'puo',
    get url() {
      return base()
    },
    async socketUrl(tenant, user) {
      const token = await signToken(server.secret, {
        tenantId: tenant,
        userId: user,
        ttlSeconds: 86_400,
      })
      return `${base().replace('http', 'ws')}/api/v4/ws?token=${token}`
    },
    async write(tenant, content) {
      return post(
        `${base()}/api/v4/memories`,
        { authorization: `Bearer ${await writerToken(tenant)}` },
        { content, visibility: 'team' },
      )
    },
    rss: () => server.rss(),
    cpuSeconds: () => server.cpuSeconds(),
    gc: () => server.gc(),
    restart: () => server.restart(),
    describe: () => `PUO Memo, 1 instance, ${opts.db}`,
    stop: () => server.stop(),
  }
}

function peerTarget(name: 'raw-bun' | 'socketio', servers: ServerProcess[], url: string): Target {
  return {
    name,
    protocol: name === 'raw-bun' ? 'raw' : 'socketio',
    url,
    async socketUrl(tenant, user) {
      const ws = url.replace('http', 'ws')
      return name === 'raw-bun'
        ? `${ws}/ws?tenant=${tenant}&user=${user}`
        : `${ws}/socket.io/?EIO=4&transport=websocket&tenant=${tenant}&user=${user}`
    },
    write: (tenant, content) => post(`${url}/publish`, {}, { tenant, content }),
    rss: () => servers.reduce((n, s) => n + rssOf(s.pid), 0),
    cpuSeconds: () => servers.reduce((n, s) => n + cpuSecondsOf(s.pid), 0),
    async gc() {
      for (const s of servers) s.proc.kill('SIGUSR2')
      await Bun.sleep(1000)
    },
    describe: () =>
      name === 'raw-bun'
        ? 'raw Bun.serve + topics (no database, no auth)'
        : 'Socket.IO 4 on Node (rooms, WebSocket only)',
    async stop() {
      for (const s of servers) s.proc.kill('SIGTERM')
      await Promise.all(servers.map((s) => s.proc.exited))
    },
  }
}

/** N PUO Memo instances on one PostgreSQL database and a private Redis, behind Debian's nginx. */
export async function startPuoCluster(instances: number, opts: TargetOptions): Promise<Target> {
  const redis: PrivateRedis = await startPrivateRedis()
  const env = { ...opts.env, REDIS_URL: redis.url }
  const first = await startBenchServer({
    db: 'postgres',
    env,
    ...(opts.cpus ? { cpus: opts.cpus } : {}),
  })
  const others = await Promise.all(
    Array.from({ length: instances - 1 }, () =>
      startBenchServer({
        db: 'postgres',
        databaseUrl: first.databaseUrl,
        secret: first.secret,
        env,
        ...(opts.cpus ? { cpus: opts.cpus } : {}),
      }),
    ),
  )
  const all = [first, ...others]
  const nginx: Nginx = await startNginx(
    all.map((s) => s.url),
    // 10,000 sockets through nginx need 20,000 descriptors: three workers share them.
    { workerConnections: 9000, workers: 3 },
  )
  return {
    ...puoTarget(first, opts, nginx.url),
    name: `puo x${instances}`,
    rss: () => all.reduce((n, s) => n + s.rss(), 0),
    cpuSeconds: () => all.reduce((n, s) => n + s.cpuSeconds(), 0),
    async gc() {
      await Promise.all(all.map((s) => s.gc()))
    },
    describe: () => `PUO Memo, ${instances} instances + Redis behind nginx, postgres`,
    async stop() {
      await nginx.stop()
      await Promise.all(others.map((s) => s.stop()))
      await first.stop()
      await redis.stop()
    },
  }
}
