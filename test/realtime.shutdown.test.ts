// Graceful shutdown: every socket gets 1012 with a spread-out reconnect hint; new sockets are refused.
import { describe, expect, test } from 'bun:test'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnListening } from './harness/process.ts'
import { serverSettings, startServer } from './harness/server.ts'
import { buildTestApp } from './support/app.ts'
import { runCli } from './support/cli.ts'
import { pgliteBackend } from './support/db.ts'
import { openSocket, startTestInstance, wsUrl } from './support/realtime.ts'

const root = new URL('..', import.meta.url).pathname

describe('graceful shutdown', () => {
  test('sockets close with 1012 and randomized retryAfterMs; upgrades during shutdown get 503', async () => {
    const database = await pgliteBackend.open()
    const t = buildTestApp(database)
    const instance = startTestInstance(database, { SHUTDOWN_RECONNECT_SPREAD_MS: '10000' })
    const tenant = t.tenant()
    const sockets = await Promise.all(
      Array.from({ length: 12 }, async (_, i) =>
        openSocket(wsUrl(instance, `?token=${await t.token(tenant, `u${i}`)}`)),
      ),
    )
    const stopped = instance.stop()
    const late = await fetch(`${instance.url}/api/v4/ws?token=${await t.token(tenant, 'late')}`, {
      headers: {
        upgrade: 'websocket',
        connection: 'Upgrade',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-version': '13',
      },
    }).catch(() => undefined)
    if (late) expect(late.status).toBe(503) // or the listener is already gone: refused either way
    const closes = await Promise.all(sockets.map((s) => s.closed))
    await stopped
    expect(closes.every((c) => c.code === 1012)).toBe(true)
    const hints = closes.map((c) => (JSON.parse(c.reason) as { retryAfterMs: number }).retryAfterMs)
    for (const h of hints) {
      expect(h).toBeGreaterThanOrEqual(500)
      expect(h).toBeLessThanOrEqual(10_500)
    }
    expect(new Set(hints.map((h) => Math.floor(h / 1000))).size).toBeGreaterThan(3) // not all in one second
  })

  test('SIGTERM on the real process: clients get 1012 and the process exits 0', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'puo-shutdown-'))
    const env = { DATA_DIR: dataDir, DATABASE_URL: '', JWT_SECRET: 'q'.repeat(40) }
    const server = await startServer(env)
    try {
      const token = runCli(['token', '--tenant', 'acme', '--user', 'alice'], env).stdout.trim()
      const s = await openSocket(`${server.url.replace('http', 'ws')}/api/v4/ws?token=${token}`)
      await s.subscribe('memories')
      const exit = server.stop()
      expect((await s.closed).code).toBe(1012)
      expect(await exit).toBe(0)
    } finally {
      if (server.proc.exitCode === null) server.proc.kill('SIGKILL')
    }
  }, 60_000)

  // A container's stop, like many supervisors, signals only the process it started: here `npm start`.
  test('SIGTERM to `npm start` alone reaches the server: clients get 1012 and npm exits 0', async () => {
    const marker = crypto.randomUUID()
    const dataDir = mkdtempSync(join(tmpdir(), 'puo-npm-start-'))
    const env = serverSettings({
      DATABASE_URL: '',
      DATA_DIR: dataDir,
      JWT_SECRET: 'q'.repeat(40),
      PUO_TEST_RUN: marker,
    })
    const npm = await spawnListening(['npm', 'start'], { cwd: root, env })
    try {
      const token = runCli(['token', '--tenant', 'acme', '--user', 'alice'], env).stdout.trim()
      const s = await openSocket(`${npm.url.replace('http', 'ws')}/api/v4/ws?token=${token}`)
      await s.subscribe('memories')
      npm.proc.kill('SIGTERM')
      const closed = await Promise.race([s.closed, Bun.sleep(20_000).then(() => undefined)])
      expect(closed?.code).toBe(1012)
      expect(await npm.proc.exited).toBe(0)
      const afterwards = await fetch(`${npm.url}/health`).then(
        () => 'still answering',
        () => 'gone',
      )
      expect(afterwards).toBe('gone')
    } finally {
      // Before the fix the server outlived npm: never leave it running.
      npm.proc.kill('SIGKILL')
      for (const pid of processesMarked(marker)) {
        try {
          process.kill(pid, 'SIGKILL')
        } catch {
          // Already gone.
        }
      }
      rmSync(dataDir, { recursive: true, force: true })
    }
  }, 60_000)
})

/** Processes of this user started with PUO_TEST_RUN=marker in their environment (npm's children). */
function processesMarked(marker: string): number[] {
  const found: number[] = []
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry)
    if (!Number.isInteger(pid)) continue
    try {
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8')
      if (environ.split('\0').includes(`PUO_TEST_RUN=${marker}`)) found.push(pid)
    } catch {
      // Gone, or not ours to read.
    }
  }
  return found
}
