// The Python SDK against a real server: the README's usage, and no event lost or repeated across a
// dropped socket and a server restart.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { signToken } from '../src/auth/jwt.ts'
import type { Database } from '../src/db/database.ts'
import type { Instance } from '../src/server.ts'
import { freePort } from './harness/redis.ts'
import { TEST_SECRET } from './support/app.ts'
import { pgliteBackend } from './support/db.ts'
import { debianPython, hasPythonWebsockets, servicesRequired } from './support/env.ts'
import { startTestInstance, writeAcrossDropAndRestart } from './support/realtime.ts'

const script = new URL('./clients/python_sdk_check.py', import.meta.url).pathname
const connectScript = new URL('./clients/python_connect_check.py', import.meta.url).pathname

describe.skipIf(!hasPythonWebsockets && !servicesRequired)('Python SDK', () => {
  let database: Database
  let instance: Instance
  let port: number
  beforeAll(async () => {
    database = await pgliteBackend.open()
    instance = startTestInstance(database)
    port = Number(new URL(instance.url).port)
  })
  afterAll(() => instance.stop())

  test('every event once, in order, across a dropped socket and a server restart', async () => {
    const token = await signToken(TEST_SECRET, {
      tenantId: 'py-sdk',
      userId: 'reader',
      ttlSeconds: 3600,
    })
    const writer = await signToken(TEST_SECRET, {
      tenantId: 'py-sdk',
      userId: 'writer',
      ttlSeconds: 3600,
    })
    const proc = Bun.spawn(
      [debianPython, script, `ws://127.0.0.1:${port}/api/v4/ws`, token, '15'],
      {
        stdout: 'pipe',
        stderr: 'inherit',
      },
    )
    const reader = proc.stdout.getReader()
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('ready')
    const stream = await writeAcrossDropAndRestart(instance, database, writer)
    instance = stream.instance
    const written = stream.written

    let out = ''
    for (let r = await reader.read(); !r.done; r = await reader.read())
      out += new TextDecoder().decode(r.value)
    const result = JSON.parse(out.trim().split('\n').at(-1) as string) as {
      seen: { content: string; seq: number; id: string }[]
      state: string
    }
    expect(result.seen.map((e) => e.content)).toEqual(written)
    expect(new Set(result.seen.map((e) => e.id)).size).toBe(written.length)
    const seqs = result.seen.map((e) => e.seq)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    expect(result.state).toBe('closed')
  }, 60_000)

  test('connect() returns once subscribed, or raises a clear error within its timeout', async () => {
    const good = await signToken(TEST_SECRET, { tenantId: 'py-connect', userId: 'reader' })
    const bad = await signToken('q'.repeat(40), { tenantId: 'py-connect', userId: 'mallory' })
    // Async: the server under test runs in this process and must keep answering meanwhile.
    const proc = Bun.spawn(
      [
        debianPython,
        connectScript,
        `ws://127.0.0.1:${port}/api/v4/ws`,
        good,
        bad,
        `ws://127.0.0.1:${await freePort()}/api/v4/ws`,
      ],
      { stdout: 'pipe', stderr: 'inherit' },
    )
    const text = await new Response(proc.stdout).text()
    await proc.exited
    const out = JSON.parse(text.trim().split('\n').at(-1) as string)
    expect(out.good).toMatchObject({ ok: true, subscribed: true, state: 'open' })
    expect(out.bad).toMatchObject({
      auth_error: 'credential refused (HTTP 401)',
      auth_failed: ['credential refused (HTTP 401)'],
      state: 'closed',
    })
    expect(out.bad.seconds).toBeLessThan(2)
    expect(out.unreachable.connection_error).toContain('within 1.5 s')
    expect(out.unreachable.connection_error).toContain('Error')
    expect(out.unreachable.state).toBe('closed')
  }, 40_000)
})
