// Server processes for load runs: start one, wait for its "listening" line, read its RSS and CPU.
import { readFileSync } from 'node:fs'
import type { Subprocess } from 'bun'

/** Kernel clock ticks per second (USER_HZ), 100 on Linux. */
const CLOCK_TICKS = 100

export interface ServerProcess {
  url: string
  pid: number
  proc: Subprocess<'ignore', 'pipe', 'inherit'>
}

/** Spawns `cmd` (under `taskset -c cpus` when given) and resolves once it logs {"msg":"listening","url"}. */
export async function spawnListening(
  cmd: string[],
  opts: { cwd: string; env: Record<string, string>; cpus?: string },
): Promise<ServerProcess> {
  // taskset execs the command in place, so the child's pid is the server's (signals, /proc).
  const proc = Bun.spawn(opts.cpus ? ['taskset', '-c', opts.cpus, ...cmd] : cmd, {
    cwd: opts.cwd,
    env: opts.env,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'inherit',
  })
  const url = await listeningUrl(proc.stdout)
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

/** Resolves with the URL from the "listening" log line, and keeps draining the log after. */
function listeningUrl(stdout: ReadableStream<Uint8Array>): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('server did not log "listening" within 60 s')),
      60_000,
    )
    ;(async () => {
      const decoder = new TextDecoder()
      let buf = ''
      let found = false
      for await (const chunk of stdout) {
        if (found) continue
        buf += decoder.decode(chunk, { stream: true })
        const lines = buf.split('\n')
        buf = lines.pop() ?? ''
        for (const line of lines) {
          const url = listeningIn(line)
          if (url && !found) {
            found = true
            clearTimeout(timer)
            resolve(url)
          }
        }
      }
      if (!found) reject(new Error('server exited before listening'))
    })()
  })
}

function listeningIn(line: string): string | undefined {
  try {
    const entry = JSON.parse(line) as { msg?: string; url?: string }
    return entry.msg === 'listening' ? entry.url : undefined
  } catch {
    return undefined
  }
}
