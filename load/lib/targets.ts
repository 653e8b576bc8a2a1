// The servers a scenario runs against: PUO Memo (one instance, or several behind nginx with Redis),
// and the reference peers (raw Bun topics, Socket.IO). Each speaks one of three wire protocols.
import { signToken } from '../../src/auth/jwt.ts'
import { startCluster } from '../../test/harness/cluster.ts'
import { createFreshDatabase } from '../../test/harness/database.ts'
import {
  cpuSecondsOf,
  rssOf,
  type ServerProcess,
  spawnListening,
} from '../../test/harness/process.ts'
import type { ServerOptions } from '../../test/harness/server.ts'
import { type BenchServer, databaseNameOf, startBenchServer } from './server.ts'

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
  /** The PostgreSQL database the target writes to (its backends' CPU is reported when they run here). */
  database?: string
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

/** PUO Memo's database and extra environment; CPU pinning for every server, flags for PUO Memo's. */
export type TargetOptions = {
  db: 'pglite' | 'postgres'
  env?: Record<string, string>
} & Pick<ServerOptions, 'cpus' | 'flags'>

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
  if (name === 'puo')
    return puoTarget(await startBenchServer(opts), `PUO Memo, 1 instance, ${opts.db}`)
  const cmd =
    name === 'raw-bun'
      ? [process.execPath, 'load/peers/raw-bun.ts']
      : ['node', '--expose-gc', 'load/peers/socketio.mjs']
  const store = name === 'raw-bun' ? await peerStore() : undefined
  const server = await spawnListening(cmd, {
    cwd: root,
    env: {
      ...(process.env as Record<string, string>),
      PORT: '0',
      REDIS_URL: '',
      ...(store ? { RAW_BUN_STORE_URL: store.url } : {}),
    },
    showStderr: true,
    ...(opts.cpus ? { cpus: opts.cpus } : {}),
  }).catch(async (err: unknown) => {
    await store?.drop()
    throw err
  })
  const target = peerTarget(name, [server], server.url)
  if (!store) return target
  return {
    ...target,
    database: databaseNameOf(store.url),
    describe: () => target.describe().replace('no database', 'one PostgreSQL insert per write'),
    async stop() {
      await target.stop()
      await store.drop()
    },
  }
}

/**
 * With RAW_BUN_STORE=postgres the raw Bun peer stores each write before publishing it (see
 * load/peers/raw-bun.ts), in a fresh database that goes when the peer stops.
 */
async function peerStore() {
  const how = process.env.RAW_BUN_STORE
  if (!how) return undefined
  if (how !== 'postgres') throw new Error(`RAW_BUN_STORE=${how}: the one store is postgres`)
  const admin = process.env.DATABASE_URL
  if (!admin) throw new Error('RAW_BUN_STORE=postgres needs DATABASE_URL (an admin URL)')
  return createFreshDatabase(admin, 'puo_bench')
}

/** What a PUO Memo target needs of its server(s): where to go, and the JWT secret they share. */
type PuoServers = Pick<
  BenchServer,
  'url' | 'secret' | 'database' | 'rss' | 'cpuSeconds' | 'gc' | 'stop'
> &
  Partial<Pick<BenchServer, 'restart'>>

function puoTarget(server: PuoServers, description: string): Target {
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
      return server.url
    },
    async socketUrl(tenant, user) {
      const token = await signToken(server.secret, {
        tenantId: tenant,
        userId: user,
        ttlSeconds: 86_400,
      })
      return `${server.url.replace('http', 'ws')}/api/v4/ws?token=${token}`
    },
    async write(tenant, content) {
      return post(
        `${server.url}/api/v4/memories`,
        { authorization: `Bearer ${await writerToken(tenant)}` },
        { content, visibility: 'team' },
      )
    },
    ...(server.database ? { database: server.database } : {}),
    rss: server.rss,
    cpuSeconds: server.cpuSeconds,
    gc: server.gc,
    ...(server.restart ? { restart: server.restart } : {}),
    describe: () => description,
    stop: server.stop,
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
        ? `raw Bun.serve + topics (no database, no auth${process.env.RAW_BUN_FRAMES === 'puo' ? ", PUO Memo's two frames per write" : ''})`
        : 'Socket.IO 4 on Node (rooms, WebSocket only)',
    async stop() {
      for (const s of servers) s.proc.kill('SIGTERM')
      await Promise.all(servers.map((s) => s.proc.exited))
    },
  }
}

/** N PUO Memo instances on one fresh PostgreSQL database and a private Redis, behind Debian's nginx. */
export async function startPuoCluster(instances: number, opts: TargetOptions): Promise<Target> {
  const admin = process.env.DATABASE_URL
  if (!admin) throw new Error('the cluster scenario needs DATABASE_URL (an admin URL)')
  const cluster = await startCluster({
    instances,
    database: { adminUrl: admin },
    // 10,000 sockets through nginx need 20,000 descriptors: three workers share them.
    nginx: { workerConnections: 9000, workers: 3 },
    ...(opts.env ? { env: opts.env } : {}),
    server: {
      keepLines: false,
      showStderr: true,
      ...(opts.flags ? { flags: opts.flags } : {}),
      ...(opts.cpus ? { cpus: opts.cpus } : {}),
    },
  })
  const { url, secret, rss, cpuSeconds, gc, stop } = cluster
  const database = databaseNameOf(cluster.databaseUrl)
  const servers = { url, secret, database, rss, cpuSeconds, gc, stop }
  return {
    ...puoTarget(servers, `PUO Memo, ${instances} instances + Redis behind nginx, postgres`),
    name: `puo x${instances}`,
  }
}
