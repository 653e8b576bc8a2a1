// Runs the real server (`bun src/main.ts`) as a child process, for end-to-end tests, load runs and
// chaos alike. A restart keeps its port, so clients find the new process where the old one was.
import { cpuSecondsOf, rssOf, spawnListening } from './process.ts'

export interface ServerOptions {
  /** Runtime flags before the script, e.g. --cpu-prof-md. */
  flags?: string[]
  /** Run it under `taskset -c <cpus>`. */
  cpus?: string
  /** Keep every stdout line in `lines` (default true; a long load run turns it off). */
  keepLines?: boolean
  /** How long to wait for "listening" (default 60 s). */
  timeoutMs?: number
  /** Also copy its stderr to this process's. */
  showStderr?: boolean
}

export type RunningServer = Awaited<ReturnType<typeof startServer>>

/** Told of every line every server started in this process logs (a test run's log oracle). */
export const lineObservers: ((line: string) => void)[] = []

const root = new URL('../..', import.meta.url).pathname

/**
 * A test server's environment: `env` over PORT 0, HOST 127.0.0.1, no REDIS_URL and LOG_LEVEL info
 * ("listening" is logged at info, whatever this process's environment says), over this process's.
 */
export function serverSettings(env: Record<string, string>): Record<string, string> {
  return {
    ...(process.env as Record<string, string>),
    PORT: '0',
    HOST: '127.0.0.1',
    REDIS_URL: '',
    LOG_LEVEL: 'info',
    ...env,
  }
}

/** Starts `bun src/main.ts` with serverSettings(env). */
export async function startServer(env: Record<string, string>, opts: ServerOptions = {}) {
  const settings = serverSettings(env)
  const cmd = [
    process.execPath,
    '--max-http-header-size=1048576',
    ...(opts.flags ?? []),
    'src/main.ts',
  ]
  const lines: string[] = []
  const keep = opts.keepLines ?? true
  const onLine =
    keep || lineObservers.length > 0
      ? (line: string) => {
          if (keep) lines.push(line)
          for (const observe of lineObservers) observe(line)
        }
      : undefined
  const spawn = async () => {
    const p = await spawnListening(cmd, { ...opts, cwd: root, env: settings, onLine })
    settings.PORT = new URL(p.url).port
    return p
  }
  let current = await spawn()
  return {
    /** Where it listens (the same across restarts). */
    get url() {
      return current.url
    },
    get pid() {
      return current.pid
    },
    get proc() {
      return current.proc
    },
    /** Stdout lines so far (JSON log entries), across restarts. */
    lines,
    /** Resident memory, in bytes (0 once it is gone). */
    rss: () => rssOf(current.pid),
    /** CPU time (user + system) used so far, in seconds. */
    cpuSeconds: () => cpuSecondsOf(current.pid),
    /** Asks for a full garbage collection (SIGUSR2) and waits for it to settle. */
    async gc() {
      current.proc.kill('SIGUSR2')
      await Bun.sleep(1000)
    },
    /** Sends the signal and waits for the exit. */
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      current.proc.kill(signal)
      await current.proc.exited
    },
    /** SIGTERM (graceful drain); resolves with the exit code. */
    async stop() {
      current.proc.kill('SIGTERM')
      return current.proc.exited
    },
    /** Starts it again with the same settings, on the same port. */
    async start() {
      current = await spawn()
    },
    isRunning: () => current.proc.exitCode === null && current.proc.signalCode === null,
  }
}
