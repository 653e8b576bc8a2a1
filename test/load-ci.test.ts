// The small variant of the load scenarios (≈ 500 connections, 10 s) through the Bun runner, as CI runs
// them: any lost, duplicated or leaked event, any error, fails; timings never do (they are benchmarks).
import { describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cpuWindow } from '../load/lib/cpu.ts'
import type { Outcome } from '../load/lib/report.ts'
import { freshDatabasesLeft } from './harness/database.ts'
import { postgresUrl } from './support/env.ts'

const root = new URL('..', import.meta.url).pathname
const db = postgresUrl ? 'postgres' : 'pglite'

async function runScenario(name: string, extra: string[] = []): Promise<Outcome[]> {
  const out = join(mkdtempSync(join(tmpdir(), 'puo-load-ci-')), 'run.json')
  const proc = Bun.spawn(
    [process.execPath, 'load/run.ts', name, '--ci', '--db', db, '--json', out, ...extra],
    { cwd: root, stdout: 'pipe', stderr: 'pipe', env: process.env },
  )
  const [code, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ])
  if (code !== 0) throw new Error(`load/run.ts ${name} exited ${code}\n${stdout}\n${stderr}`)
  return (JSON.parse(readFileSync(out, 'utf8')) as { outcomes: Outcome[] }).outcomes
}

/** Runs the load runner with `args` until it exits (a refusal, in these tests): its code and stderr. */
async function runnerExit(
  args: readonly string[],
  env: Record<string, string | undefined> = process.env,
): Promise<{ code: number; stderr: string }> {
  const proc = Bun.spawn([process.execPath, 'load/run.ts', ...args], {
    cwd: root,
    stdout: 'pipe',
    stderr: 'pipe',
    env,
  })
  const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()])
  return { code, stderr }
}

/** Every invariant check of every outcome was met (benchmarks are reported, not asserted). */
function expectInvariants(outcomes: Outcome[]): void {
  expect(outcomes.length).toBeGreaterThan(0)
  for (const o of outcomes) {
    const invariants = o.checks.filter((c) => c.kind === 'invariant')
    expect(invariants.length).toBeGreaterThan(0)
    for (const c of invariants) expect({ [c.name]: c.measured }).toEqual({ [c.name]: 0 })
  }
}

describe('load scenarios, small variant', () => {
  test('connect: every socket opens and subscribes, with PUO Memo and both reference servers', async () => {
    const outcomes = await runScenario('connect', ['--targets', 'puo,raw-bun,socketio'])
    expect(outcomes.map((o) => o.figures.subscribed)).toEqual([500, 500, 500])
    expectInvariants(outcomes)
  }, 120_000)

  test('fanout: every write reaches every socket of its tenant once, and no other', async () => {
    const [o] = await runScenario('fanout')
    expect(o?.figures.deliveries).toBe(Number(o?.figures['writes ok']) * 100)
    expectInvariants(o ? [o] : [])
    // Where the machine's CPU went: the server, this runner, the run's own database, the machine.
    const f = o?.figures ?? {}
    const server = Number(f['server CPU cores'])
    const runner = Number(f['runner CPU cores'])
    expect(server).toBeGreaterThan(0)
    expect(runner).toBeGreaterThan(0)
    expect(Number(f['machine CPUs'])).toBeGreaterThan(0)
    expect(Number(f['machine busy cores'])).toBeGreaterThanOrEqual(Math.max(server, runner) - 0.05)
    if (db === 'postgres') expect(Number(f['database CPU cores'])).toBeGreaterThan(0)
    else expect(f['database CPU cores']).toBeUndefined()
  }, 120_000)

  test('throughput with a warm-up and a ladder of its own: the warm-up is reported apart and checked too', async () => {
    const [o] = await runScenario('throughput', ['--warmup', '2', '--steps', '15,30,45'])
    const f = o?.figures ?? {}
    // The ladder given is run whole, after the warm-up line at its first rate.
    expect(Object.keys(f).filter((k) => /^\d+ writes\/s$/.test(k))).toEqual([
      '15 writes/s',
      '30 writes/s',
      '45 writes/s',
    ])
    expect(String(f['warm-up, 15 writes/s for 2 s'])).toMatch(/^\d+ deliveries\/s, .*lost 0, /)
    expect(Number(f['best deliveries/s with p99 ≤ 50 ms, no loss'])).toBeGreaterThan(0)
    expectInvariants(o ? [o] : [])
  }, 120_000)

  test('reconnect: after a restart every client is back and resumed, nothing lost or doubled', async () => {
    const [o] = await runScenario('reconnect')
    expect(o?.figures['not back']).toBe(0)
    expect(Number(o?.figures['writes ok'])).toBeGreaterThan(50)
    expectInvariants(o ? [o] : [])
  }, 180_000)
})

describe('load runner arguments', () => {
  test('RAW_BUN_STORE naming a store the peer does not have is refused before anything starts', async () => {
    const { code, stderr } = await runnerExit(['fanout', '--ci', '--targets', 'raw-bun'], {
      ...process.env,
      RAW_BUN_STORE: 'mysql',
    })
    expect(code).not.toBe(0)
    expect(stderr).toContain('RAW_BUN_STORE=mysql')
  }, 60_000)

  test('a flag that takes a value, given none, is refused before anything starts', async () => {
    // `--server-flags "--cpu-prof"` reads as two flags: the runner must say so, not run "true".
    for (const args of [
      ['fanout', '--server-flags', '--cpu-prof'],
      ['fanout', '--json'],
      ['throughput', '--rate', '--db', 'pglite'],
    ]) {
      const { code, stderr } = await runnerExit(args)
      expect({ args, code }).toEqual({ args, code: 2 })
      expect(stderr).toContain('no value given')
      expect(stderr).toContain(`--${(args[1] as string).slice(2)}`)
    }
  })

  test('a warm-up or a ladder for a scenario without steps is refused before anything starts', async () => {
    for (const [flag, value] of [
      ['--warmup', '5'],
      ['--steps', '100,200'],
    ] as const) {
      const { code, stderr } = await runnerExit(['fanout', '--ci', flag, value])
      expect({ flag, code }).toEqual({ flag, code: 2 })
      expect(stderr).toContain(`${flag}: the fanout scenario has no steps`)
    }
  })

  test('a ladder that does not rise through positive rates is refused before anything starts', async () => {
    for (const value of ['100,100', '200,100', '100,abc', '0,100', '100,']) {
      const { code, stderr } = await runnerExit(['throughput', '--ci', '--steps', value])
      expect({ value, code }).toEqual({ value, code: 2 })
      expect(stderr).toContain(`--steps ${value}: not a rising list`)
    }
  })

  test('a count, rate or duration that is not a positive number is refused before anything starts', async () => {
    // Number('abc') is NaN and a loop over NaN writes nothing: the run would report a clean nothing.
    for (const [flag, value] of [
      ['--rate', '0'],
      ['--duration', 'abc'],
      ['--hold', '-5'],
      ['--connections', '1.5'],
      ['--tenants', 'Infinity'],
    ] as const) {
      const { code, stderr } = await runnerExit(['connect', flag, value])
      expect({ flag, value, code }).toEqual({ flag, value, code: 2 })
      expect(stderr).toContain(`${flag} ${value}: not a positive`)
    }
  })
})

describe.skipIf(!postgresUrl)('load runner on PostgreSQL', () => {
  test('a server that fails to start leaves no database behind', async () => {
    const proc = Bun.spawn(
      [process.execPath, 'load/run.ts', 'fanout', '--ci', '--db', 'postgres', '--env', 'PORT=x'],
      { cwd: root, stdout: 'pipe', stderr: 'pipe', env: process.env },
    )
    const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()])
    expect(code).not.toBe(0)
    expect(stderr).toContain('before listening')
    expect(await freshDatabasesLeft(postgresUrl as string, 'puo_bench', proc.pid)).toEqual([])
  }, 60_000)
})

describe.skipIf(!postgresUrl)('raw Bun peer storing its writes', () => {
  test('every write is stored before it is delivered, in a database that goes with the run', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'puo-load-ci-')), 'run.json')
    const proc = Bun.spawn(
      [process.execPath, 'load/run.ts', 'fanout', '--ci', '--targets', 'raw-bun', '--json', out],
      {
        cwd: root,
        stdout: 'pipe',
        stderr: 'pipe',
        env: { ...process.env, RAW_BUN_STORE: 'postgres' },
      },
    )
    const [code, stdout, stderr] = await Promise.all([
      proc.exited,
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
    ])
    if (code !== 0) throw new Error(`load/run.ts exited ${code}\n${stdout}\n${stderr}`)
    const [o] = (JSON.parse(readFileSync(out, 'utf8')) as { outcomes: Outcome[] }).outcomes
    expect(o?.target).toContain('one PostgreSQL insert per write')
    expect(o?.figures.deliveries).toBe(Number(o?.figures['writes ok']) * 100)
    expectInvariants(o ? [o] : [])
    // The inserts ran on this host's PostgreSQL, in the run's own database, dropped at the end.
    expect(Number(o?.figures['database CPU cores'])).toBeGreaterThan(0)
    expect(await freshDatabasesLeft(postgresUrl as string, 'puo_bench', proc.pid)).toEqual([])
  }, 120_000)
})

describe('load runner CPU shares', () => {
  test('a database with no backend on this host is reported as absent, not as zero', async () => {
    const shares = cpuWindow(`puo_absent_${process.pid}`)
    await Bun.sleep(50)
    const c = shares()
    expect(c.database).toBeUndefined()
    expect(c.cpus).toBeGreaterThan(0)
    expect(c.runner).toBeGreaterThanOrEqual(0)
  })
})
