// Graceful shutdown: every socket gets 1012 with a spread-out reconnect hint; new sockets are refused.
import { describe, expect, test } from 'bun:test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServer } from './harness/server.ts'
import { buildTestApp } from './support/app.ts'
import { runCli } from './support/cli.ts'
import { pgliteBackend } from './support/db.ts'
import { openSocket, startTestInstance, wsUrl } from './support/realtime.ts'

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
})
