// The SDK's credential lifecycle: a fixed token that is expired, refused, or expires while connected
// ends in `closed` with one `auth_failed`, never a retry loop; a token source is asked again instead.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { SignJWT } from 'jose'
import { signToken } from '../src/auth/jwt.ts'
import { PuoMemoWebSocket } from '../src/client/puo-memo-websocket.ts'
import type { Instance } from '../src/server.ts'
import { TEST_SECRET } from './support/app.ts'
import { pgliteBackend } from './support/db.ts'
import { startTestInstance, wsUrl } from './support/realtime.ts'

describe('SDK credential lifecycle', () => {
  let instance: Instance
  beforeAll(async () => {
    instance = startTestInstance(await pgliteBackend.open())
  })
  afterAll(() => instance?.stop())

  /** Connects with `token`, waits `ms`, and reports what the app saw. */
  async function run(token: string | { getToken(): Promise<string> }, ms: number) {
    const client = new PuoMemoWebSocket(token, {
      url: wsUrl(instance),
      reconnect: { minMs: 10, maxMs: 20 },
    })
    const states: string[] = []
    const failures: { reason: string }[] = []
    client.on('state', (s: string) => states.push(s))
    client.on('auth_failed', (e: { reason: string }) => failures.push(e))
    void client.connect()
    await Bun.sleep(ms)
    const state = client.state
    client.disconnect()
    return { states, failures, state }
  }

  const jwt = (claims: Record<string, unknown>, secret = TEST_SECRET) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret))

  test('an expired fixed token: closed, one auth_failed, no connection attempt loop', async () => {
    const expired = await jwt({ sub: 'u', tenant_id: 't', exp: Math.floor(Date.now() / 1000) - 5 })
    const out = await run(expired, 400)
    expect(out.state).toBe('closed')
    expect(out.failures).toEqual([{ reason: 'token expired' }])
    expect(out.states.filter((s) => s === 'reconnecting')).toHaveLength(0)
  })

  test('a refused fixed token (bad signature): closed 4401 with the reason, one auth_failed', async () => {
    const forged = await signToken('x'.repeat(40), { tenantId: 't', userId: 'mallory' })
    const out = await run(forged, 600)
    expect(out.state).toBe('closed')
    expect(out.failures).toEqual([{ reason: 'Token signature is invalid' }])
    expect(out.states.filter((s) => s === 'reconnecting')).toHaveLength(0)
  })

  test('a fixed token that expires while connected: 4001, then closed with auth_failed', async () => {
    // exp has whole seconds: it is 1 – 2 s away, so the socket opens before it passes on a busy machine.
    const exp = Math.floor(Date.now() / 1000) + 2
    const short = await jwt({ sub: 'u', tenant_id: 't', exp })
    const out = await run(short, exp * 1000 - Date.now() + 1000)
    expect(out.states).toContain('open')
    expect(out.state).toBe('closed')
    expect(out.failures).toEqual([{ reason: 'token expired' }])
  })

  test('with getToken, the connection is renewed before exp: no gap, no repeat, no reconnecting', async () => {
    const tenant = `renew-${crypto.randomUUID().slice(0, 6)}`
    let calls = 0
    const source = {
      getToken: async () => {
        calls++
        return jwt({ sub: 'u', tenant_id: tenant, exp: Math.floor(Date.now() / 1000) + 2 })
      },
    }
    const client = new PuoMemoWebSocket(source, { url: wsUrl(instance) })
    const states: string[] = []
    const seen: string[] = []
    client.on('state', (s: string) => states.push(s))
    client.on('memory.created', (d: { memory: { content: string } }) => seen.push(d.memory.content))
    await client.connect()
    for (let i = 0; i < 100 && client.lastSeq === undefined; i++) await Bun.sleep(10)
    const writer = await signToken(TEST_SECRET, { tenantId: tenant, userId: 'w' })
    const written: string[] = []
    // Writes keep coming while the token is renewed (twice: it lives about 2 s).
    for (const end = Date.now() + 4500; Date.now() < end; ) {
      const content = `w${written.length}`
      await fetch(`${instance.url}/api/v4/memories`, {
        method: 'POST',
        headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/json' },
        body: JSON.stringify({ content, visibility: 'team' }),
      })
      written.push(content)
      await Bun.sleep(50)
    }
    for (let i = 0; i < 200 && seen.length < written.length; i++) await Bun.sleep(10)
    expect(calls).toBeGreaterThanOrEqual(3)
    expect(states).toEqual(['connecting', 'open'])
    expect(seen).toEqual(written)
    client.disconnect()
  })

  test('a client that does not ask for close refusals still gets HTTP 401', async () => {
    const forged = await signToken('x'.repeat(40), { tenantId: 't', userId: 'mallory' })
    const res = await fetch(`${instance.url}/api/v4/ws?token=${forged}`, {
      headers: {
        upgrade: 'websocket',
        connection: 'Upgrade',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-version': '13',
      },
    })
    expect(res.status).toBe(401)
  })
})
