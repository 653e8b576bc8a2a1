// Errors the HTTP layer raises before a route runs keep the JSON envelope on a real server process:
// 413 at any body size (declared or chunked), 431 for oversized heads, 405 with Allow.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { signToken } from '../src/auth/jwt.ts'
import { type RunningServer, startServer } from './harness/server.ts'

describe('transport-level errors', () => {
  const secret = 't'.repeat(40)
  let server: RunningServer
  let auth: Record<string, string>
  beforeAll(async () => {
    server = await startServer({
      DATA_DIR: mkdtempSync(join(tmpdir(), 'puo-transport-')),
      DATABASE_URL: '',
      JWT_SECRET: secret,
    })
    auth = {
      authorization: `Bearer ${await signToken(secret, { tenantId: 'tr', userId: 'alice' })}`,
      'content-type': 'application/json',
    }
  }, 90_000)
  afterAll(async () => {
    await server?.stop()
  })

  const envelope = async (res: Response, status: number, code: string) => {
    expect(res.status).toBe(status)
    expect(await res.json()).toMatchObject({ error: { code, message: expect.any(String) } })
  }

  test('413 with the envelope at every size, declared or chunked', async () => {
    for (const size of [1024 * 1024 + 1, 6 * 1024 * 1024, 40 * 1024 * 1024]) {
      const body = `{"content":"${'a'.repeat(size)}"}`
      const declared = await fetch(`${server.url}/api/v4/memories`, {
        method: 'POST',
        headers: auth,
        body,
      })
      await envelope(declared, 413, 'payload_too_large')
      const chunks = new ReadableStream<Uint8Array>({
        start(c) {
          const bytes = new TextEncoder().encode(body)
          for (let i = 0; i < bytes.length; i += 256 * 1024)
            c.enqueue(bytes.slice(i, i + 256 * 1024))
          c.close()
        },
      })
      const chunked = await fetch(`${server.url}/api/v4/memories`, {
        method: 'POST',
        headers: auth,
        body: chunks,
      })
      await envelope(chunked, 413, 'payload_too_large')
    }
  }, 60_000)

  test('431 with the envelope for an oversized head', async () => {
    for (const size of [20_000, 200_000]) {
      const res = await fetch(`${server.url}/health`, { headers: { 'x-filler': 'a'.repeat(size) } })
      await envelope(res, 431, 'headers_too_large')
    }
    const longUrl = await fetch(`${server.url}/api/v4/memories?tag=${'b'.repeat(30_000)}`, {
      headers: auth,
    })
    await envelope(longUrl, 431, 'headers_too_large')
  })

  test('405 with Allow, and the server still serves', async () => {
    const res = await fetch(`${server.url}/health`, { method: 'POST' })
    expect(res.headers.get('allow')).toBe('GET, HEAD')
    await envelope(res, 405, 'method_not_allowed')
    expect((await fetch(`${server.url}/health`)).status).toBe(200)
  })
})
