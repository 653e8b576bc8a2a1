// One process owns an embedded DATA_DIR: a second opener (CLI or server) is told who holds it and
// what to do instead; the CLI's --url manages keys through the running server.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DataDirBusyError } from '../src/db/data-dir-lock.ts'
import { openPglite } from '../src/db/pglite.ts'
import { type RunningServer, startServer } from './harness/server.ts'
import { runCli, words } from './support/cli.ts'

describe('embedded DATA_DIR ownership', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'puo-owned-'))
  const env = { DATA_DIR: dataDir, DATABASE_URL: '', JWT_SECRET: '' }
  let server: RunningServer
  beforeAll(async () => {
    server = await startServer(env)
  }, 90_000)
  afterAll(async () => {
    if (server.proc.exitCode === null && server.proc.signalCode === null) await server.stop()
  })

  test('the CLI refuses a live DATA_DIR, naming the holder’s pid and --url; it never corrupts it', () => {
    for (const args of [
      ['api-key', 'create', '--tenant', 'acme', '--user', 'bot', '--name', 'ci'],
      ['api-key', 'list', '--tenant', 'acme'],
    ]) {
      const out = runCli(args, env)
      expect(out.code).toBe(1)
      expect(out.stderr).toContain(`in use by process ${server.proc.pid}`)
      expect(out.stderr).toContain('--url')
      expect(out.stderr).not.toContain('RuntimeError')
    }
  })

  test('a second server on the same DATA_DIR exits with the same clear message', async () => {
    const second = Bun.spawnSync([process.execPath, 'src/main.ts'], {
      cwd: new URL('..', import.meta.url).pathname,
      env: { ...process.env, ...env, PORT: '0', HOST: '127.0.0.1', REDIS_URL: '' },
    })
    expect(second.exitCode).toBe(1)
    expect(second.stdout.toString()).toContain(`in use by process ${server.proc.pid}`)
    await expect(openPglite(join(dataDir, 'pglite'))).rejects.toBeInstanceOf(DataDirBusyError)
  }, 60_000)

  test('with --url the CLI manages keys through the server, which accepts the key it printed', async () => {
    const made = runCli(
      [...words('api-key create --tenant acme --user bot --name ci --url'), server.url],
      env,
    )
    expect(made.code).toBe(0)
    const key = JSON.parse(made.stdout) as { key: string; id: string; userId: string }
    expect(key.userId).toBe('bot')
    const res = await fetch(`${server.url}/api/v4/memories`, { headers: { 'x-api-key': key.key } })
    expect(res.status).toBe(200)
    const listed = runCli(['api-key', 'list', '--tenant', 'acme', '--url', server.url], env)
    expect(JSON.parse(listed.stdout).map((k: { id: string }) => k.id)).toContain(key.id)
    const revoked = runCli(
      ['api-key', 'revoke', '--tenant', 'acme', key.id, '--url', server.url],
      env,
    )
    expect(revoked.code).toBe(0)
    const after = await fetch(`${server.url}/api/v4/memories`, {
      headers: { 'x-api-key': key.key },
    })
    expect(after.status).toBe(401)
  })

  test('a lock left by a killed server is taken over', async () => {
    server.proc.kill('SIGKILL')
    await server.proc.exited
    const out = runCli(['api-key', 'list', '--tenant', 'acme'], env)
    expect(out.code).toBe(0)
    expect(JSON.parse(out.stdout)).toHaveLength(1)
  }, 60_000)
})
