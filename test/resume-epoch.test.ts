// Positions carry the log's epoch: a position from another log (a reset or replaced database), or one
// beyond the log's end (a restored backup), answers resume_unavailable, and the SDK resyncs.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { signToken } from '../src/auth/jwt.ts'
import { PuoMemoWebSocket } from '../src/client/puo-memo-websocket.ts'
import { openPglite } from '../src/db/pglite.ts'
import type { Instance } from '../src/server.ts'
import { createWithRetry, TEST_SECRET } from './support/app.ts'
import { openSocket, startTestInstance, wsUrl } from './support/realtime.ts'

describe('log epochs', () => {
  let before: Instance
  let after: Instance
  beforeAll(async () => {
    // Two databases: the one a client last saw, and the one that replaced it.
    const first = await openPglite(undefined)
    await first.migrate()
    const second = await openPglite(undefined)
    await second.migrate()
    before = startTestInstance(first)
    after = startTestInstance(second)
  })
  afterAll(async () => {
    await before?.stop()
    await after?.stop()
  })

  const token = (tenant: string) => signToken(TEST_SECRET, { tenantId: tenant, userId: 'alice' })

  test('subscribed carries the epoch; every instance on one database names the same one', async () => {
    const tok = await token('ep-1')
    const a = await openSocket(wsUrl(before, `?token=${tok}`))
    const b = await openSocket(wsUrl(after, `?token=${tok}`))
    const epochA = (await a.subscribe('memories')).data.epoch
    const epochB = (await b.subscribe('memories')).data.epoch
    expect(epochA).toMatch(/^[0-9a-f-]{36}$/)
    expect(epochB).toMatch(/^[0-9a-f-]{36}$/)
    expect(epochA).not.toBe(epochB)
    const again = await openSocket(wsUrl(before, `?token=${tok}`))
    expect((await again.subscribe('memories')).data.epoch).toBe(epochA)
    for (const s of [a, b, again]) await s.close()
  })

  test('a position from another log, or beyond the end of this one, is resume_unavailable', async () => {
    const tenant = `ep-${crypto.randomUUID().slice(0, 6)}`
    const tok = await token(tenant)
    await createWithRetry(before.url, tok, 'one')
    const s = await openSocket(wsUrl(before, `?token=${tok}`))
    const { epoch } = (await s.subscribe('memories')).data
    await s.close()
    for (const data of [
      { channel: 'memories', since: 0, epoch: crypto.randomUUID() },
      { channel: 'memories', since: 1_000_000, epoch },
      { channel: 'memories', since: 1_000_000 },
    ]) {
      const fresh = await openSocket(wsUrl(before, `?token=${tok}`))
      fresh.send('subscribe', data, 'resume')
      const reply = await fresh.waitFor((f) => f.id === 'resume')
      expect(reply.type).toBe('error')
      expect(reply.data.code).toBe('resume_unavailable')
      await fresh.close()
    }
    const good = await openSocket(wsUrl(before, `?token=${tok}`))
    good.send('subscribe', { channel: 'memories', since: 0, epoch }, 'ok')
    expect((await good.waitFor((f) => f.id === 'ok')).type).toBe('subscribed')
    await good.close()
  })

  test('the SDK, resuming into a replaced database, emits resync and then receives live events', async () => {
    const tenant = `ep-${crypto.randomUUID().slice(0, 6)}`
    const tok = await token(tenant)
    for (const content of ['a', 'b', 'c']) await createWithRetry(before.url, tok, content)
    const old = new PuoMemoWebSocket(tok, { url: wsUrl(before) })
    await old.connect()
    for (let i = 0; i < 200 && old.lastSeq === undefined; i++) await Bun.sleep(5)
    old.disconnect()
    expect(old.lastSeq).toBeGreaterThanOrEqual(3)

    // Same client state, pointed at the instance whose database replaced the first one.
    const client = new PuoMemoWebSocket(tok, { url: wsUrl(after) })
    client.lastSeq = old.lastSeq
    client.epoch = old.epoch
    const resyncs: unknown[] = []
    const created: string[] = []
    client.on('resync', (d: unknown) => resyncs.push(d))
    client.on('memory.created', (d: { memory: { content: string } }) =>
      created.push(d.memory.content),
    )
    await client.connect()
    for (let i = 0; i < 200 && resyncs.length === 0; i++) await Bun.sleep(5)
    expect(resyncs).toHaveLength(1)
    for (let i = 0; i < 200 && client.epoch === undefined; i++) await Bun.sleep(5)
    expect(client.epoch).not.toBe(old.epoch)
    await createWithRetry(after.url, tok, 'after the reset')
    for (let i = 0; i < 200 && !created.includes('after the reset'); i++) await Bun.sleep(5)
    expect(created).toEqual(['after the reset'])
    client.disconnect()
  })
})
