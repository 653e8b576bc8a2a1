// The WebSocket protocol frame by frame: handshake and credentials, replies, errors, every event type.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Instance } from '../src/server.ts'
import { buildTestApp, type TestApp } from './support/app.ts'
import { pgliteBackend } from './support/db.ts'
import { openSocket, restOf, settle, startTestInstance, wsUrl } from './support/realtime.ts'

describe('WebSocket protocol', () => {
  let instance: Instance
  let t: TestApp
  beforeAll(async () => {
    const database = await pgliteBackend.open()
    instance = startTestInstance(database, { WEBSOCKET_ALLOWED_ORIGINS: 'https://app.example' })
    t = buildTestApp(database)
  })
  afterAll(() => instance.stop())

  const rest = (method: string, path: string, token: string, body?: unknown) =>
    restOf(instance)(method, path, token, body)

  const upgradeStatus = async (query: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${instance.url}/api/v4/ws${query}`, {
      headers: {
        upgrade: 'websocket',
        connection: 'Upgrade',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'sec-websocket-version': '13',
        ...headers,
      },
    })
    return { status: res.status, body: (await res.json()) as { error: { code: string } } }
  }

  test('missing, bad and expired credentials are refused with 401 before any socket opens', async () => {
    expect((await upgradeStatus('')).status).toBe(401)
    expect((await upgradeStatus('?token=nonsense')).status).toBe(401)
    const expired = await t.token('acme', 'alice', { ttlSeconds: -10 })
    const r = await upgradeStatus(`?token=${expired}`)
    expect(r.status).toBe(401)
    expect(r.body.error.code).toBe('unauthorized')
    await expect(openSocket(wsUrl(instance, '?token=nonsense'))).rejects.toThrow()
  })

  test('a foreign Origin is refused with 403; the allowed one and no Origin pass', async () => {
    const tok = await t.token(t.tenant(), 'alice')
    expect((await upgradeStatus(`?token=${tok}`, { origin: 'https://evil.example' })).status).toBe(
      403,
    )
    const s = await openSocket(wsUrl(instance, `?token=${tok}`), {
      headers: { origin: 'https://app.example' },
    })
    await s.close()
  })

  test('a plain GET gets 426 JSON', async () => {
    const res = await fetch(`${instance.url}/api/v4/ws`)
    expect(res.status).toBe(426)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('upgrade_required')
  })

  test('credentials in headers work: Bearer and X-API-Key', async () => {
    const tenant = t.tenant()
    const bearer = await openSocket(wsUrl(instance), {
      headers: { authorization: `Bearer ${await t.token(tenant, 'alice')}` },
    })
    expect(bearer.frames[0]?.data).toMatchObject({ tenantId: tenant, userId: 'alice' })
    await bearer.close()
    const admin = await t.token(tenant, 'root', { scopes: ['admin'] })
    const key = await t.call('POST', '/api/v4/api-keys', {
      token: admin,
      body: { name: 'ws', userId: 'agent' },
    })
    const viaKey = await openSocket(wsUrl(instance), { headers: { 'x-api-key': key.body.key } })
    expect(viaKey.frames[0]?.data).toMatchObject({ tenantId: tenant, userId: 'agent' })
    await viaKey.close()
    const viaQuery = await openSocket(wsUrl(instance, `?token=${key.body.key}`))
    expect(viaQuery.frames[0]?.data.userId).toBe('agent')
    await viaQuery.close()
  })

  test('`connected` comes first with connection id, identity, heartbeat, limits and protocol version', async () => {
    const tenant = t.tenant()
    const s = await openSocket(wsUrl(instance, `?token=${await t.token(tenant, 'alice')}`))
    const [first] = s.frames
    expect(first?.type).toBe('connected')
    expect(first?.data).toMatchObject({
      connectionId: expect.any(String),
      userId: 'alice',
      tenantId: tenant,
      protocolVersion: 1,
      heartbeatIntervalMs: 30_000,
      limits: { maxMessageBytes: 16384, messagesPerSecond: 20, burst: 40 },
    })
    expect(typeof first?.timestamp).toBe('string')
    await s.close()
  })

  test('ping → pong and subscribe/unsubscribe replies echo the request id', async () => {
    const s = await openSocket(wsUrl(instance, `?token=${await t.token(t.tenant(), 'alice')}`))
    const pingId = s.send('ping', {}, 'ping-1')
    expect((await s.waitFor((f) => f.id === pingId)).type).toBe('pong')
    const sub = await s.subscribe('memories')
    expect(sub).toMatchObject({ type: 'subscribed', data: { channel: 'memories', seq: 0 } })
    const again = await s.subscribe('memories')
    expect(again.type).toBe('subscribed')
    const unsubId = s.send('unsubscribe', { channel: 'memories' })
    expect(await s.waitFor((f) => f.id === unsubId)).toMatchObject({
      type: 'unsubscribed',
      data: { channel: 'memories' },
    })
    await s.close()
  })

  test('bad frames get an error frame and the connection stays open', async () => {
    const s = await openSocket(wsUrl(instance, `?token=${await t.token(t.tenant(), 'alice')}`))
    const errorsBefore = () => s.of('error').length
    const expectError = async (code: string, n: number) => {
      const e = await s.waitFor(() => s.of('error').length >= n, code)
      expect(s.of('error')[n - 1]?.data.code).toBe(code)
      return e
    }
    s.sendRaw('{not json')
    await expectError('invalid_json', 1)
    s.sendRaw('[1,2,3]')
    await expectError('invalid_frame', 2)
    s.send('teleport', {}, 'x-1')
    expect((await expectError('unknown_type', 3)) && s.of('error')[2]?.id).toBe('x-1')
    s.send('subscribe', { channel: 42 }, 'x-2')
    await expectError('invalid_frame', 4)
    s.send('subscribe', { channel: 'secrets' }, 'x-3')
    await expectError('unknown_channel', 5)
    s.sendRaw(new Uint8Array([1, 2, 3]))
    await expectError('invalid_frame', 6)
    // Members whose own keys shadow what objects inherit: named in the error without running them.
    const hostile = { toString: true, valueOf: 1, toJSON: 'x', constructor: null }
    s.sendRaw(JSON.stringify({ id: 'x-4', type: hostile, data: {} }))
    await expectError('unknown_type', 7)
    s.sendRaw(JSON.stringify({ id: hostile, type: 'subscribe', data: { channel: hostile } }))
    await expectError('invalid_frame', 8)
    s.sendRaw(JSON.stringify({ id: 'x-5', type: 'history', data: hostile, timestamp: hostile }))
    await expectError('invalid_frame', 9)
    expect(errorsBefore()).toBe(9)
    const pong = s.send('ping')
    await s.waitFor((f) => f.id === pong && f.type === 'pong')
    expect(s.ws.readyState).toBe(WebSocket.OPEN)
    await s.close()
  })

  test('every memory event type arrives with seq, and the same id on every socket', async () => {
    const tenant = t.tenant()
    const alice = await t.token(tenant, 'alice')
    const bob = await t.token(tenant, 'bob')
    const a = await openSocket(wsUrl(instance, `?token=${alice}`))
    const b = await openSocket(wsUrl(instance, `?token=${bob}`))
    await a.subscribe('memories')
    await b.subscribe('memories')

    const created = await rest('POST', '/api/v4/memories', alice, {
      content: 'shared',
      visibility: 'team',
    })
    const id = created.body.id
    const onA = await a.waitFor((f) => f.type === 'memory.created')
    const onB = await b.waitFor((f) => f.type === 'memory.created')
    expect(onA.data.memory).toEqual(created.body)
    expect(onB.id).toBe(onA.id)
    expect(onA.seq).toBe(1)

    await a.waitFor((f) => f.type === 'memory.embedding_complete', 'embedding')
    const emb = await b.waitFor((f) => f.type === 'memory.embedding_complete', 'embedding')
    expect(emb.data).toEqual({ memoryId: id, model: 'local-hash-32', dimensions: 32 })

    const updated = await rest('PATCH', `/api/v4/memories/${id}`, bob, { title: 'named by bob' })
    const upd = await a.waitFor((f) => f.type === 'memory.updated')
    expect(upd.data.memory).toEqual(updated.body)

    expect((await rest('DELETE', `/api/v4/memories/${id}`, alice)).status).toBe(204)
    const del = await b.waitFor((f) => f.type === 'memory.deleted')
    expect(del.data).toEqual({ memoryId: id })
    const seqs = a.frames.filter((f) => f.seq !== undefined).map((f) => f.seq)
    expect(seqs).toEqual([1, 2, 3, 4])
    await Promise.all([a.close(), b.close()])
  })

  // exp has whole seconds, so a TTL of 2 leaves 1 – 2 s: the socket opens before it passes.
  test('a JWT that expires while connected is closed with 4001', async () => {
    const s = await openSocket(
      wsUrl(instance, `?token=${await t.token(t.tenant(), 'alice', { ttlSeconds: 2 })}`),
    )
    const closed = await s.closed
    expect(closed.code).toBe(4001)
  })

  test('each socket is closed with 4001 when its own JWT expires, not when another one does', async () => {
    const tenant = t.tenant()
    const expOf = (token: string) =>
      (JSON.parse(atob(token.split('.')[1] as string)) as { exp: number }).exp
    const soon = await t.token(tenant, 'alice', { ttlSeconds: 2 })
    const later = await t.token(tenant, 'bob', { ttlSeconds: 4 })
    const a = await openSocket(wsUrl(instance, `?token=${soon}`))
    const left = await openSocket(wsUrl(instance, `?token=${soon}`))
    const c = await openSocket(wsUrl(instance, `?token=${later}`))
    await left.close()
    expect((await a.closed).code).toBe(4001)
    expect(c.ws.readyState).toBe(WebSocket.OPEN)
    expect((await c.closed).code).toBe(4001)
    expect(Date.now()).toBeGreaterThanOrEqual(expOf(later) * 1000)
  })

  test('nothing arrives without a subscription', async () => {
    const tenant = t.tenant()
    const tok = await t.token(tenant, 'alice')
    const s = await openSocket(wsUrl(instance, `?token=${tok}`))
    await rest('POST', '/api/v4/memories', tok, { content: 'unseen', visibility: 'team' })
    await settle(200)
    expect(s.frames.map((f) => f.type)).toEqual(['connected'])
    await s.close()
  })
})
