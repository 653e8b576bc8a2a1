// The real process: boot on embedded defaults, a CLI token drives REST, SIGTERM exits 0; bad env exits 1.
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'
import { type RunningServer, startServer } from './harness/server.ts'
import { runCli, words } from './support/cli.ts'
import { freshPostgresUrl } from './support/db.ts'
import { postgresUrl } from './support/env.ts'

const root = new URL('..', import.meta.url).pathname

describe('server process', () => {
  test('a bad environment stops the boot with exit 1 and names every bad key', () => {
    const proc = Bun.spawnSync(
      [process.execPath, '--max-http-header-size=1048576', 'src/main.ts'],
      {
        cwd: root,
        env: {
          ...process.env,
          PORT: 'x',
          LOG_LEVEL: 'chatty',
          NODE_ENV: 'production',
          JWT_SECRET: '',
        },
      },
    )
    expect(proc.exitCode).toBe(1)
    const err = proc.stderr.toString()
    expect(err).toContain('PORT')
    expect(err).toContain('LOG_LEVEL')
    expect(err).toContain('JWT_SECRET')
  })

  describe('on embedded PGlite', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'puo-e2e-'))
    let server: RunningServer | undefined
    afterAll(async () => {
      if (server && server.proc.exitCode === null) await server.stop()
    })

    test('serves /health, accepts a CLI token, and drains on SIGTERM with exit 0', async () => {
      server = await startServer({ DATA_DIR: dataDir, JWT_SECRET: '', DATABASE_URL: '' })
      expect(server.lines.some((l) => l.includes('development secret'))).toBe(true)
      const health = await fetch(`${server.url}/health`)
      expect(health.status).toBe(200)
      expect(((await health.json()) as { db: { driver: string } }).db.driver).toBe('pglite')

      const cli = runCli(['token', '--tenant', 'acme', '--user', 'alice', '--ttl', '10m'], {
        DATA_DIR: dataDir,
        JWT_SECRET: '',
        DATABASE_URL: '',
      })
      expect(cli.code).toBe(0)
      const token = cli.stdout.trim()
      const created = await fetch(`${server.url}/api/v4/memories`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ content: 'hello from the CLI token', visibility: 'team' }),
      })
      expect(created.status).toBe(201)
      expect(((await created.json()) as { ownerId: string }).ownerId).toBe('alice')

      const tooBig = await fetch(`${server.url}/api/v4/memories`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ content: 'x'.repeat(2 * 1024 * 1024) }),
      })
      expect(tooBig.status).toBe(413)
      expect(((await tooBig.json()) as { error: { code: string } }).error.code).toBe(
        'payload_too_large',
      )

      expect(await server.stop()).toBe(0)
      expect(server.lines.some((l) => l.includes('"stopped"'))).toBe(true)
    })

    test('CLI manages API keys in the same data directory once the server is stopped', () => {
      const env = { DATA_DIR: dataDir, JWT_SECRET: '', DATABASE_URL: '' }
      const created = runCli(
        words('api-key create --tenant acme --user bot --name ci --scope read'),
        env,
      )
      expect(created.code).toBe(0)
      const key = JSON.parse(created.stdout) as { key: string; prefix: string; scopes: string[] }
      expect(key.scopes).toEqual(['read'])
      const listed = runCli(['api-key', 'list', '--tenant', 'acme'], env)
      expect(listed.stdout).toContain(key.prefix)
      expect(listed.stdout).not.toContain(key.key)
      const revoked = runCli(['api-key', 'revoke', '--tenant', 'acme', key.prefix], env)
      expect(revoked.code).toBe(0)
      expect(JSON.parse(revoked.stdout).revokedAt).not.toBeNull()
      const bad = runCli(['api-key', 'revoke', '--tenant', 'acme', 'pm_nothere0'], env)
      expect(bad.code).toBe(2)
      expect(runCli(['token', '--tenant', 'has space', '--user', 'u'], env).code).toBe(2)
    })
  })

  describe.skipIf(!postgresUrl)('on PostgreSQL', () => {
    test('boots against DATABASE_URL, migrates, and keys made by the CLI authenticate', async () => {
      const url = await freshPostgresUrl(postgresUrl as string)
      const env = {
        DATABASE_URL: url,
        JWT_SECRET: 's'.repeat(40),
        DATA_DIR: mkdtempSync(join(tmpdir(), 'puo-e2e-')),
      }
      const server = await startServer(env)
      try {
        const created = runCli(
          ['api-key', 'create', '--tenant', 'acme', '--user', 'bot', '--name', 'ci'],
          env,
        )
        expect(created.code).toBe(0)
        const { key } = JSON.parse(created.stdout) as { key: string }
        const res = await fetch(`${server.url}/api/v4/memories`, {
          method: 'POST',
          headers: { 'x-api-key': key, 'content-type': 'application/json' },
          body: JSON.stringify({ content: 'via key' }),
        })
        expect(res.status).toBe(201)
        const health = (await (await fetch(`${server.url}/health`)).json()) as {
          db: { driver: string }
        }
        expect(health.db.driver).toBe('postgres')
      } finally {
        expect(await server.stop()).toBe(0)
      }
    })

    test('a pool of one connection boots, migrates and serves (the migration has its own)', async () => {
      const url = await freshPostgresUrl(postgresUrl as string)
      const env = {
        DATABASE_URL: url,
        DATABASE_POOL_SIZE: '1',
        JWT_SECRET: 's'.repeat(40),
        DATA_DIR: mkdtempSync(join(tmpdir(), 'puo-e2e-')),
      }
      const server = await startServer(env, { timeoutMs: 20_000 })
      try {
        const token = runCli(['token', '--tenant', 'acme', '--user', 'u'], env).stdout.trim()
        const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
        const created = await fetch(`${server.url}/api/v4/memories`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ content: 'one connection' }),
        })
        expect(created.status).toBe(201)
        const { id } = (await created.json()) as { id: string }
        const read = await fetch(`${server.url}/api/v4/memories/${id}`, { headers })
        expect(((await read.json()) as { content: string }).content).toBe('one connection')
      } finally {
        expect(await server.stop()).toBe(0)
      }
    }, 60_000)

    test('creates share one connection of their own, beside a pool that serves the reads', async () => {
      const url = await freshPostgresUrl(postgresUrl as string)
      const env = {
        DATABASE_URL: url,
        DATABASE_POOL_SIZE: '3',
        JWT_SECRET: 's'.repeat(40),
        DATA_DIR: mkdtempSync(join(tmpdir(), 'puo-e2e-')),
      }
      const server = await startServer(env, { timeoutMs: 20_000 })
      const admin = postgres(postgresUrl as string, { max: 1, onnotice: () => {} })
      try {
        const token = runCli(['token', '--tenant', 'acme', '--user', 'u'], env).stdout.trim()
        const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
        const call = (method: string, path: string, body?: unknown) =>
          fetch(`${server.url}/api/v4${path}`, {
            method,
            headers,
            ...(body ? { body: JSON.stringify(body) } : {}),
          }).then((r) => r.status)
        // Reads and creates at once, so that the pool opens every connection it may.
        const statuses = await Promise.all(
          Array.from({ length: 60 }, (_, i) =>
            i % 2
              ? call('GET', '/memories?limit=5')
              : call('POST', '/memories', { content: `m${i}` }),
          ),
        )
        expect(statuses.filter((s) => s === 201)).toHaveLength(30)
        expect(statuses.filter((s) => s === 200)).toHaveLength(30)
        const name = new URL(url).pathname.slice(1)
        const backends = await admin<{ query: string }[]>`
          select query from pg_stat_activity where datname = ${name} and backend_type = 'client backend'`
        const creating = backends.filter((b) => b.query.includes('jsonb_to_recordset'))
        expect(creating).toHaveLength(1)
        expect(backends.length).toBeLessThanOrEqual(3 + 1)
      } finally {
        await admin.end()
        expect(await server.stop()).toBe(0)
      }
    }, 60_000)
  })
})
