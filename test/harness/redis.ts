// A private redis-server on a free port, which a test may kill, stop and restart (never the shared one).
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'

export const redisServerPath = Bun.which('redis-server')

export interface PrivateRedis {
  port: number
  url: string
  /** Starts (again) on the same port. */
  start(): Promise<void>
  kill(signal?: NodeJS.Signals): Promise<void>
  signal(signal: NodeJS.Signals): void
  stop(): Promise<void>
}

export async function freePort(): Promise<number> {
  const s = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
  const port = s.port
  s.stop(true)
  return port
}

/** Resolves once something accepts TCP connections on the port (5 s at most). */
async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await Bun.connect({ hostname: '127.0.0.1', port, socket: { data() {} } }).then(
      (s) => {
        s.end()
        return true
      },
      () => false,
    )
    if (ok) return
    await Bun.sleep(50)
  }
  throw new Error(`nothing listens on ${port}`)
}

/** redis-server on 127.0.0.1:port, persisting nothing, with these arguments added. */
const serverCommand = (port: number, args: string[]) => [
  ...[redisServerPath as string, '--port', String(port), '--bind', '127.0.0.1'],
  ...['--save', '', '--appendonly', 'no', ...args],
]

export async function startPrivateRedis(args: string[] = []): Promise<PrivateRedis> {
  const port = await freePort()
  let proc: Subprocess | undefined
  const redis: PrivateRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      proc = Bun.spawn(serverCommand(port, args), { stdout: 'ignore', stderr: 'ignore' })
      await waitForPort(port)
    },
    async kill(sig = 'SIGKILL') {
      proc?.kill(sig)
      await proc?.exited
    },
    signal(sig) {
      proc?.kill(sig)
    },
    async stop() {
      proc?.kill('SIGCONT')
      proc?.kill('SIGKILL')
      await proc?.exited
    },
  }
  await redis.start()
  return redis
}

export interface PrivateRedisCluster {
  ports: number[]
  /** A seed URL (any node). */
  url: string
  stop(): Promise<void>
}

async function isFree(port: number): Promise<boolean> {
  try {
    const s = Bun.listen({ hostname: '127.0.0.1', port, socket: { data() {} } })
    s.stop(true)
    return true
  } catch {
    return false
  }
}

/** Three masters with `--cluster-enabled yes` on free ports (each port + 10000 free too), joined by redis-cli. */
export async function startPrivateRedisCluster(): Promise<PrivateRedisCluster> {
  const ports: number[] = []
  for (let tries = 0; ports.length < 3 && tries < 200; tries++) {
    const p = 20000 + Math.floor(Math.random() * 25000)
    if (!ports.includes(p) && (await isFree(p)) && (await isFree(p + 10000))) ports.push(p)
  }
  const dir = mkdtempSync(join(tmpdir(), 'puo-rcluster-'))
  const procs = ports.map((port) =>
    Bun.spawn(
      serverCommand(port, [
        ...['--cluster-enabled', 'yes', '--cluster-config-file', `${dir}/nodes-${port}.conf`],
        ...['--dir', dir],
      ]),
      { stdout: 'ignore', stderr: 'ignore' },
    ),
  )
  for (const port of ports) await waitForPort(port)
  const create = Bun.spawnSync(
    [
      'redis-cli',
      '--cluster',
      'create',
      ...ports.map((p) => `127.0.0.1:${p}`),
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ],
    { stdout: 'pipe', stderr: 'pipe' },
  )
  if (create.exitCode !== 0)
    throw new Error(`redis-cli --cluster create failed: ${create.stderr.toString()}`)
  // Wait until every node agrees the cluster is up.
  for (let i = 0; i < 100; i++) {
    const states = ports.map((p) =>
      Bun.spawnSync(['redis-cli', '-p', String(p), 'cluster', 'info']).stdout.toString(),
    )
    if (states.every((s) => s.includes('cluster_state:ok'))) break
    await Bun.sleep(100)
  }
  return {
    ports,
    url: `redis://127.0.0.1:${ports[0]}`,
    async stop() {
      for (const p of procs) p.kill('SIGKILL')
      await Promise.all(procs.map((p) => p.exited))
    },
  }
}
