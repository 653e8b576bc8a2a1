// What peers' SDKs have: presence() across the tenant, history() over the event log with paging,
// and connection-state events that carry their cause.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { signToken } from '../src/auth/jwt.ts'
import { PuoMemoWebSocket, type StateCause } from '../src/client/puo-memo-websocket.ts'
import { createWithRetry, TEST_SECRET } from './support/app.ts'
import { pgliteBackend } from './support/db.ts'
import { disconnectEnvelope } from './support/envelopes.ts'
import { openSocket, startTestInstance, type TestInstance, wsUrl } from './support/realtime.ts'

describe('SDK requests and state causes', () => {
  let instance: TestInstance
  beforeAll(async () => {
    instance = startTestInstance(await pgliteBackend.open())
  })
  afterAll(() => instance?.stop())

  const token = (tenant: string, user: string) =>
    signToken(TEST_SECRET, { tenantId: tenant, userId: user, name: `${user}!` })

  test('presence() lists who is online in the tenant, and only that tenant', async () => {
    const tenant = `pr-${crypto.randomUUID().slice(0, 6)}`
    const bob = await openSocket(wsUrl(instance, `?token=${await token(tenant, 'bob')}`))
    const stranger = await openSocket(
      wsUrl(instance, `?token=${await token(`${tenant}-x`, 'eve')}`),
    )
    const client = new PuoMemoWebSocket(await token(tenant, 'alice'), { url: wsUrl(instance) })
    await client.connect()
    const users = await client.presence()
    expect(users.map((u) => u.userId).sort()).toEqual(['alice', 'bob'])
    expect(users.find((u) => u.userId === 'bob')?.name).toBe('bob!')
    client.disconnect()
    await bob.close()
    await stranger.close()
  })

  test('history() pages through the events this user may see, oldest first, without repeats', async () => {
    const tenant = `hi-${crypto.randomUUID().slice(0, 6)}`
    const alice = await token(tenant, 'alice')
    const bob = await token(tenant, 'bob')
    for (const c of ['one', 'two', 'three']) await createWithRetry(instance.url, bob, c)
    // A private memory of bob's: alice must never see it.
    await fetch(`${instance.url}/api/v4/memories`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bob}`, 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'secret', visibility: 'private' }),
    })
    await Bun.sleep(300) // embeddings complete: more events in the log
    const client = new PuoMemoWebSocket(alice, { url: wsUrl(instance) })
    await client.connect()
    const seen: {
      id: string
      type: string
      seq: number
      data: { memory?: { content: string } }
    }[] = []
    let since = 0
    for (let pages = 0; pages < 20; pages++) {
      const page = await client.history({ since, limit: 2 })
      seen.push(...(page.events as unknown as typeof seen))
      expect(page.epoch).toBe(client.epoch as string)
      since = page.seq
      if (!page.hasMore) break
    }
    const created = seen
      .filter((f) => f.type === 'memory.created')
      .map((f) => f.data.memory?.content)
    expect(created).toEqual(['one', 'two', 'three'])
    expect(JSON.stringify(seen)).not.toContain('secret')
    expect(new Set(seen.map((f) => f.id)).size).toBe(seen.length)
    const seqs = seen.map((f) => f.seq)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    await expect(client.history({ since: -1 })).rejects.toThrow()
    client.disconnect()
  })

  test('state events carry the cause: a close code and reason', async () => {
    const tenant = `st-${crypto.randomUUID().slice(0, 6)}`
    const client = new PuoMemoWebSocket(await token(tenant, 'carol'), { url: wsUrl(instance) })
    const changes: [string, StateCause][] = []
    client.on('state', (s: string, cause: StateCause) => changes.push([s, cause]))
    await client.connect()
    void instance.bus.publish(disconnectEnvelope(tenant, 'carol'))
    for (let i = 0; i < 200 && client.state !== 'closed'; i++) await Bun.sleep(10)
    expect(changes.at(-1)).toEqual(['closed', { code: 4403, reason: 'disconnected by an admin' }])
    expect(changes.map(([s]) => s)).toEqual(['connecting', 'open', 'closed'])
  })
})
