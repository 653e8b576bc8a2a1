// Logs: one JSON line per request and per connection event, and no credential in any line.
import { describe, expect, test } from 'bun:test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { signToken } from '../src/auth/jwt.ts'
import { openSocket } from './support/realtime.ts'
import { startServer } from './support/server.ts'

describe('logs', () => {
  test('requests and connections are logged with ids; JWTs, API keys and ?token= never are', async () => {
    const secret = 'l'.repeat(40)
    const server = await startServer({
      DATA_DIR: mkdtempSync(join(tmpdir(), 'puo-logs-')),
      DATABASE_URL: '',
      JWT_SECRET: secret,
      LOG_LEVEL: 'debug',
    })
    const jwt = await signToken(secret, { tenantId: 'logs', userId: 'alice' })
    const admin = await signToken(secret, { tenantId: 'logs', userId: 'root', scopes: ['admin'] })
    const forged = await signToken('x'.repeat(40), { tenantId: 'logs', userId: 'mallory' })
    const call = (path: string, headers: Record<string, string>, init: RequestInit = {}) =>
      fetch(`${server.url}${path}`, {
        ...init,
        headers: { 'content-type': 'application/json', ...headers },
      })

    const created = await call(
      '/api/v4/api-keys',
      { authorization: `Bearer ${admin}` },
      { method: 'POST', body: JSON.stringify({ name: 'k' }) },
    )
    const { key } = (await created.json()) as { key: string }
    expect((await call('/api/v4/memories', { authorization: `Bearer ${jwt}` })).status).toBe(200)
    expect((await call('/api/v4/memories', { 'x-api-key': key })).status).toBe(200)
    expect((await call('/api/v4/memories', { authorization: `Bearer ${forged}` })).status).toBe(401)
    expect((await call(`/api/v4/memories?token=${jwt}`, {})).status).toBeGreaterThanOrEqual(400)
    const withId = await call('/api/v4/memories', {
      authorization: `Bearer ${jwt}`,
      'x-request-id': 'trace-me-42',
    })
    expect(withId.headers.get('x-request-id')).toBe('trace-me-42')
    for (const t of [jwt, key]) {
      const s = await openSocket(`${server.url.replace('http', 'ws')}/api/v4/ws?token=${t}`)
      s.send('ping')
      await s.waitFor((f) => f.type === 'pong')
      await s.close()
    }
    await fetch(`${server.url}/api/v4/ws?token=${forged}`, {
      headers: {
        upgrade: 'websocket',
        connection: 'Upgrade',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-version': '13',
      },
    })
    expect(await server.stop()).toBe(0)

    const all = server.lines.join('\n')
    for (const credential of [jwt, admin, forged, key, secret])
      expect(all).not.toContain(credential)
    const entries = server.lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    const requests = entries.filter((e) => e.msg === 'request')
    expect(requests.length).toBeGreaterThanOrEqual(6)
    expect(requests).toContainEqual(
      expect.objectContaining({
        requestId: 'trace-me-42',
        method: 'GET',
        route: '/api/v4/memories/',
        status: 200,
      }),
    )
    expect(entries.filter((e) => e.msg === 'connection opened')).toHaveLength(2)
    expect(entries.filter((e) => e.msg === 'connection closed')).toContainEqual(
      expect.objectContaining({ tenantId: 'logs', code: 1000, connectionId: expect.any(String) }),
    )
  }, 60_000)
})
