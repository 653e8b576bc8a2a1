// Where the machine's CPU goes during a measured window: this runner, the database's backends that
// serve the run's own database, and every CPU of the machine. The server's share is the target's
// own figure. Read from /proc (Linux); elsewhere the figures are left out.
import { readdirSync, readFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { cpuSecondsOf } from '../../test/harness/process.ts'

/** Jiffies per second of /proc/stat (USER_HZ, 100 on Linux). */
const USER_HZ = 100

/** Busy CPU seconds of the whole machine since boot (all CPUs; idle, iowait and steal left out). */
function machineBusySeconds(): number | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] as string
    // cpu  user nice system idle iowait irq softirq steal …
    const ticks = line.trim().split(/\s+/).slice(1).map(Number)
    const busy = [0, 1, 2, 5, 6].reduce((n, i) => n + (ticks[i] ?? 0), 0)
    return busy / USER_HZ
  } catch {
    return undefined
  }
}

/**
 * CPU seconds of the PostgreSQL backends connected to `database` on this host, found by their
 * process title (`postgres: <cluster>: <user> <database> <client> <state>`). A backend that exits
 * inside a window takes its share with it, so a window's figure is a lower bound; the servers keep
 * their pooled connections open for far longer than a measured window. Undefined when no backend
 * of it runs here (the database is on another host).
 */
export function backendsCpuSeconds(database: string): number | undefined {
  let total: number | undefined
  let pids: string[]
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d))
  } catch {
    return undefined
  }
  for (const pid of pids) {
    let title: string
    try {
      title = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
    } catch {
      continue
    }
    if (!title.startsWith('postgres: ')) continue
    const words = title.replace(/\0/g, ' ').trim().split(/\s+/)
    // After "postgres:" and the cluster name come the user and the database.
    if (words.slice(2, 5).includes(database)) total = (total ?? 0) + cpuSecondsOf(Number(pid))
  }
  return total
}

export interface CpuShares {
  /** This runner's cores (its sockets and its writes). */
  runner: number
  /** Cores of the database backends serving the run's database, when they run on this host. */
  database: number | undefined
  /** Busy cores of the whole machine. */
  machine: number | undefined
  /** CPUs the machine has. */
  cpus: number
}

/** Starts a window; the returned function gives each share in cores over the time since. */
export function cpuWindow(database: string | undefined): () => CpuShares {
  const t0 = performance.now()
  const runner0 = process.cpuUsage()
  const db0 = database === undefined ? undefined : backendsCpuSeconds(database)
  const machine0 = machineBusySeconds()
  return () => {
    const seconds = (performance.now() - t0) / 1000
    const used = process.cpuUsage(runner0)
    const machine1 = machineBusySeconds()
    const db1 =
      database === undefined || db0 === undefined ? undefined : backendsCpuSeconds(database)
    return {
      runner: (used.user + used.system) / 1e6 / seconds,
      database: db0 === undefined || db1 === undefined ? undefined : (db1 - db0) / seconds,
      machine:
        machine0 === undefined || machine1 === undefined
          ? undefined
          : (machine1 - machine0) / seconds,
      cpus: cpus().length,
    }
  }
}

// Three decimals: a database serving 20 writes/s uses under 0.01 of a core, which two would show as 0.
const cores = (n: number) => Math.round(n * 1000) / 1000

/** A fanout run's figures: each process's cores and the machine's. */
export function coreFigures(serverCores: number, c: CpuShares): Record<string, number> {
  return {
    'server CPU cores': cores(serverCores),
    'runner CPU cores': cores(c.runner),
    ...(c.database === undefined ? {} : { 'database CPU cores': cores(c.database) }),
    ...(c.machine === undefined ? {} : { 'machine busy cores': cores(c.machine) }),
    'machine CPUs': c.cpus,
  }
}

/** One throughput step's cores, in one line. */
export function coreSummary(serverCores: number, c: CpuShares): string {
  return [
    `server ${cores(serverCores)}`,
    `runner ${cores(c.runner)}`,
    ...(c.database === undefined ? [] : [`database ${cores(c.database)}`]),
    ...(c.machine === undefined ? [] : [`machine ${cores(c.machine)} of ${c.cpus}`]),
  ].join(', ')
}
