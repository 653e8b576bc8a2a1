// One process owns an embedded data directory: a lock file naming its pid, taken before PGlite opens
// the files (two PGlite processes on one directory corrupt it, or abort).
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs'
import { join } from 'node:path'

export class DataDirBusyError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(
      `The embedded database in ${dir} is in use by process ${pid}; only one process may open it. ` +
        'Stop that process first, or talk to it instead: the CLI manages API keys over HTTP with ' +
        '--url http://<host>:<port> (it signs an admin token with the same secret).',
    )
    this.name = 'DataDirBusyError'
  }
}

interface Holder {
  pid: number
  /** The process's start time (Linux /proc), so a reused pid is not taken for the holder. */
  startedAt: string | undefined
}

function startTimeOf(pid: number): string | undefined {
  try {
    // Field 22 of /proc/<pid>/stat, counted after the parenthesised command name.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

function isAlive(h: Holder): boolean {
  try {
    process.kill(h.pid, 0)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  const now = startTimeOf(h.pid)
  return h.startedAt === undefined || now === undefined || now === h.startedAt
}

function readHolder(file: string): Holder | undefined {
  try {
    const [pid, startedAt] = readFileSync(file, 'utf8').trim().split(' ')
    const n = Number(pid)
    return Number.isInteger(n) && n > 0 ? { pid: n, startedAt: startedAt || undefined } : undefined
  } catch {
    return undefined
  }
}

/**
 * Takes `<dir>/pglite.lock` or throws DataDirBusyError naming the live holder. A lock left by a
 * process that died (kill -9, crash) is taken over. `release()` is idempotent.
 */
export function lockDataDir(dir: string): { release(): void } {
  const file = join(dir, 'pglite.lock')
  const me = `${process.pid} ${startTimeOf(process.pid) ?? ''}`.trim()
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600)
      writeSync(fd, `${me}\n`)
      closeSync(fd)
      let isHeld = true
      const release = () => {
        if (!isHeld) return
        isHeld = false
        if (readFileSync(file, 'utf8').trim() === me) unlinkSync(file)
      }
      process.once('exit', () => {
        try {
          release()
        } catch {}
      })
      return { release }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      const holder = readHolder(file)
      if (holder && holder.pid !== process.pid && isAlive(holder)) {
        throw new DataDirBusyError(dir, holder.pid)
      }
      // Stale (or unreadable, or our own from an earlier open): take it over.
      try {
        unlinkSync(file)
      } catch {}
    }
  }
  throw new Error(`could not take the lock ${file}`)
}
