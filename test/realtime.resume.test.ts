// Resume from the log: `since` replays what was missed, then live, no gap and no duplicate; events still
// arrive when the bus drops them; old positions answer resume_unavailable.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createLocalBus } from '../src/bus/local.ts'
import type { Database } from '../src/db/database.ts'
import { pruneEvents } from '../src/events/retention.ts'
import type { Instance } from '../src/server.ts'
import { buildTestApp, type TestApp } from './support/app.ts'
import { pgliteBackend } from './support/db.ts'
import {
  type AnyFrame,
  openSocket,
  startTestInstance,
  type TestSocket,
  wsUrl,
} from './support/realtime.ts'

const memoryFrames = (s: TestSocket) => s.frames.filter((f) => f.seq !== undefined)
const key = (f: AnyFrame) => `${f.seq} ${f.type}`

describe('resume and delivery without loss', () => {
  let database: Database
  let instance: Instance
  let t: TestApp
  beforeAll(async () => {
    database = await pgliteBackend.open()
    instance = startTestInstance(database)
    t = buildTestApp(database)
  })
  afterAll(() => instance.stop())

  const create = (token: string, body: unknown) =>
    instance.app
      .handle(
        new Request('http://localhost/api/v4/memories', {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }),
      )
      .then((r) => r.json() as Promise<{ id: string }>)
  const patch = (token: string, id: string, body: unknown) =>
    instance.app.handle(
      new Request(`http://localhost/api/v4/memories/${id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    )

  test('a client that reconnects with since gets exactly what it missed, then live, in order', async () => {
    const tenant = t.tenant()
    const tok = await t.token(tenant, 'alice')
    const writer = await t.token(tenant, 'bob')
    const first = await openSocket(wsUrl(instance, `?token=${tok}`))
    await first.subscribe('memories')
    await create(writer, { content: 'one', visibility: 'team' })
    await first.waitFor((f) => f.type === 'memory.created')
    await first.waitFor((f) => f.type === 'memory.embedding_complete')
    const lastSeen = Math.max(...memoryFrames(first).map((f) => f.seq as number))
    await first.close()

    // Missed while away: two creates (and their embeddings), one private memory of bob's.
    await create(writer, { content: 'two', visibility: 'team' })
    await create(writer, { content: 'bob only', visibility: 'private' })
    await create(writer, { content: 'three', visibility: 'team' })

    const second = await openSocket(wsUrl(instance, `?token=${tok}`))
    const subId = second.send('subscribe', { channel: 'memories', since: lastSeen })
    // Live writes during and after the replay.
    const live = create(writer, { content: 'four', visibility: 'team' })
    const sub = await second.waitFor((f) => f.id === subId)
    expect(sub.type).toBe('subscribed')
    await live
    await create(writer, { content: 'five', visibility: 'team' })
    await second.waitFor((f) => f.type === 'memory.created' && f.data.memory.content === 'five')
    await Bun.sleep(300) // let embeddings land too

    const got = memoryFrames(second)
    const seqs = got.map((f) => f.seq as number)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    expect(new Set(got.map((f) => f.id)).size).toBe(got.length)
    expect(seqs[0]).toBeGreaterThan(lastSeen)
    const contents = got
      .filter((f) => f.type === 'memory.created')
      .map((f) => f.data.memory.content)
    expect(contents).toEqual(['two', 'three', 'four', 'five'])
    expect(got.some((f) => JSON.stringify(f).includes('bob only'))).toBe(false)
    await second.close()
  })

  test('replay leaves out the content of memories the user may no longer see', async () => {
    const tenant = t.tenant()
    const alice = await t.token(tenant, 'alice')
    const bob = await t.token(tenant, 'bob')
    const s = await openSocket(wsUrl(instance, `?token=${alice}`))
    const sub = await s.subscribe('memories')
    const since = sub.data.seq as number
    await s.close()
    const m = await create(bob, { content: 'briefly shared', visibility: 'team' })
    expect((await patch(bob, m.id, { visibility: 'private' })).status).toBe(200)

    const again = await openSocket(wsUrl(instance, `?token=${alice}`))
    const id = again.send('subscribe', { channel: 'memories', since })
    await again.waitFor((f) => f.id === id)
    await Bun.sleep(200)
    const replayed = memoryFrames(again)
    expect(replayed.map((f) => f.type)).toEqual(['memory.deleted'])
    expect(JSON.stringify(again.frames)).not.toContain('briefly shared')
    await again.close()
  })

  test('a position older than the retained log answers resume_unavailable and subscribes nothing', async () => {
    const tenant = t.tenant()
    const tok = await t.token(tenant, 'alice')
    await create(tok, { content: 'old', visibility: 'team' })
    await create(tok, { content: 'old too', visibility: 'team' })
    await pruneEvents(database.db, new Date(Date.now() + 1000))
    await create(tok, { content: 'new', visibility: 'team' })
    const s = await openSocket(wsUrl(instance, `?token=${tok}`))
    const id = s.send('subscribe', { channel: 'memories', since: 0 })
    const reply = await s.waitFor((f) => f.id === id)
    expect(reply.type).toBe('error')
    expect(reply.data.code).toBe('resume_unavailable')
    const fresh = await s.subscribe('memories')
    expect(fresh.type).toBe('subscribed')
    expect(fresh.data.seq).toBeGreaterThanOrEqual(3)
    await s.close()
  })

  test('when the bus drops every event, clients still get each one, in order, from the log', async () => {
    const dropAll = createLocalBus({ shouldFailPublish: () => true })
    const lossy = startTestInstance(database, { EVENT_SYNC_INTERVAL_MS: '100' }, { bus: dropAll })
    try {
      const tenant = t.tenant()
      const tok = await t.token(tenant, 'alice')
      const s = await openSocket(wsUrl(lossy, `?token=${tok}`))
      await s.subscribe('memories')
      for (let i = 0; i < 5; i++) {
        await lossy.app.handle(
          new Request('http://localhost/api/v4/memories', {
            method: 'POST',
            headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' },
            body: JSON.stringify({ content: `n${i}`, visibility: 'team' }),
          }),
        )
      }
      await s.waitFor(() => s.of('memory.created').length >= 5, 'five events via the log')
      expect(s.of('memory.created').map((f) => f.data.memory.content)).toEqual([
        'n0',
        'n1',
        'n2',
        'n3',
        'n4',
      ])
      const seqs = memoryFrames(s).map(key)
      expect(new Set(seqs).size).toBe(seqs.length)
      await s.close()
    } finally {
      await lossy.stop()
    }
  })
})
