// A private redis-server on a free port, which a test may kill, stop and restart (never the shared one).
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

export async function startPrivateRedis(args: string[] = []): Promise<PrivateRedis> {
  const port = await freePort()
  let proc: Subprocess | undefined
  const redis: PrivateRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      proc = Bun.spawn(
        [
          redisServerPath as string,
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          'no',
          ...args,
        ],
        { stdout: 'ignore', stderr: 'ignore' },
      )
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
      throw new Error(`redis-server did not start on ${port}`)
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
