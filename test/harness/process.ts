// Server processes: start one and wait for its "listening" line; read its RSS and CPU from /proc.
import { readFileSync } from 'node:fs'
import type { Subprocess } from 'bun'

/** Kernel clock ticks per second (USER_HZ), 100 on Linux. */
const CLOCK_TICKS = 100

export interface ServerProcess {
  url: string
  pid: number
  proc: Subprocess<'ignore', 'pipe', 'pipe'>
}

export interface SpawnOptions {
  cwd: string
  env: Record<string, string>
  /** Run it under `taskset -c <cpus>`. */
  cpus?: string
  /** Every stdout line, as it arrives. */
  onLine?: ((line: string) => void) | undefined
  /** How long to wait for "listening" (default 60 s). */
  timeoutMs?: number
  /** Also copy its stderr to this process's (load runs and chaos: a crash shows where it happened). */
  showStderr?: boolean
}

/** Every process started here; a test run's teardown kills any still alive (test/setup.ts). */
export const spawned = new Set<Subprocess>()

/**
 * Spawns `cmd` and resolves once it logs {"msg":"listening","url"}; stdout and stderr keep being
 * drained after. Rejects, with what it printed, if it exits or times out first.
 */
export async function spawnListening(cmd: string[], opts: SpawnOptions): Promise<ServerProcess> {
  // taskset execs the command in place, so the child's pid is the server's (signals, /proc).
  const proc = Bun.spawn(opts.cpus ? ['taskset', '-c', opts.cpus, ...cmd] : cmd, {
    cwd: opts.cwd,
    env: opts.env,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  })
  spawned.add(proc)
  void proc.exited.then(() => spawned.delete(proc))
  const stderr: string[] = []
  void (async () => {
    const decoder = new TextDecoder()
    for await (const chunk of proc.stderr) {
      if (stderr.length < 200) stderr.push(decoder.decode(chunk))
      if (opts.showStderr) process.stderr.write(chunk)
    }
  })()
  const seen: string[] = []
  const timeoutMs = opts.timeoutMs ?? 60_000
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Not left running: nothing else holds it once this rejects (outside a test run's teardown).
      proc.kill('SIGKILL')
      reject(new Error(`no "listening" within ${timeoutMs} ms:\n${seen.join('\n')}`))
    }, timeoutMs)
    ;(async () => {
      const decoder = new TextDecoder()
      let buf = ''
      let found = false
      for await (const chunk of proc.stdout) {
        if (found && !opts.onLine) continue
        buf += decoder.decode(chunk, { stream: true })
        let nl = buf.indexOf('\n')
        while (nl >= 0) {
          const line = buf.slice(0, nl)
          buf = buf.slice(nl + 1)
          opts.onLine?.(line)
          if (!found) {
            seen.push(line)
            const at = listeningUrl(line)
            if (at) {
              found = true
              clearTimeout(timer)
              resolve(at)
            }
          }
          nl = buf.indexOf('\n')
        }
      }
      clearTimeout(timer)
      if (found) return
      const code = await proc.exited
      reject(
        new Error(`exited with ${code} before listening:\n${seen.join('\n')}\n${stderr.join('')}`),
      )
    })()
  })
  return { url, pid: proc.pid, proc }
}

/** Resident memory of a process, in bytes (0 once it is gone). */
export function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024
  } catch {
    return 0
  }
}

/** CPU time (user + system) a process has used, in seconds (0 once it is gone). */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields 14 and 15 (utime, stime) follow the parenthesised command name.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
  } catch {
    return 0
  }
}

/** Open file descriptors allowed to a process (its soft RLIMIT_NOFILE). */
export function fdLimitOf(pid: number | 'self'): number {
  const limits = readFileSync(`/proc/${pid}/limits`, 'utf8')
  const m = /Max open files\s+(\d+|unlimited)/.exec(limits)
  return m?.[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(m?.[1] ?? 0)
}

function listeningUrl(line: string): string | undefined {
  try {
    const entry = JSON.parse(line) as { msg?: unknown; url?: unknown }
    return entry.msg === 'listening' && typeof entry.url === 'string' ? entry.url : undefined
  } catch {
    return undefined
  }
}
