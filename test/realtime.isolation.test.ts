// Isolation under a random workload: every client receives exactly the events it may see, once, in seq order.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Database } from '../src/db/database.ts'
import type { Instance } from '../src/server.ts'
import { buildTestApp, type TestApp } from './support/app.ts'
import { pgliteBackend } from './support/db.ts'
import { expectedFrames, quietLog } from './support/expected.ts'
import { openSocket, startTestInstance, type TestSocket, wsUrl } from './support/realtime.ts'

/** A small deterministic PRNG, so a failing sequence can be replayed from its seed. */
function rng(seed: number) {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let x = Math.imul(s ^ (s >>> 15), 1 | s)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

describe('isolation across tenants, users and visibility', () => {
  let instance: Instance
  let database: Database
  let t: TestApp
  beforeAll(async () => {
    database = await pgliteBackend.open()
    instance = startTestInstance(database)
    t = buildTestApp(database)
  })
  afterAll(() => instance.stop())

  test('random creates, updates, deletes and visibility changes: exactly the entitled events, once, in order', async () => {
    const seed = 20261126
    const random = rng(seed)
    const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)] as T
    const tenants = [t.tenant(), t.tenant(), t.tenant()]
    const users = ['u1', 'u2', 'u3']
    const tokens = new Map<string, string>()
    const clients: { tenant: string; user: string; socket: TestSocket }[] = []
    for (const tenant of tenants) {
      for (const user of users) {
        const token = await t.token(tenant, user)
        tokens.set(`${tenant}/${user}`, token)
        const socket = await openSocket(wsUrl(instance, `?token=${token}`))
        await socket.subscribe('memories')
        clients.push({ tenant, user, socket })
      }
    }
    // A second tab for one user, and a socket that never subscribes.
    const tab = await openSocket(wsUrl(instance, `?token=${tokens.get(`${tenants[0]}/u1`)}`))
    await tab.subscribe('memories')
    clients.push({ tenant: tenants[0] as string, user: 'u1', socket: tab })
    const idle = await openSocket(wsUrl(instance, `?token=${tokens.get(`${tenants[1]}/u2`)}`))

    const live: { id: string; tenant: string; owner: string; visibility: 'team' | 'private' }[] = []
    // Writes go through the instance's own app, so their events take the real path to the sockets.
    const call = (method: string, path: string, tenant: string, user: string, body?: unknown) =>
      instance.app.handle(
        new Request(`http://localhost${path}`, {
          method,
          headers: {
            authorization: `Bearer ${tokens.get(`${tenant}/${user}`)}`,
            'content-type': 'application/json',
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }),
      )
    let ops = 0
    for (let i = 0; i < 90; i++) {
      const tenant = pick(tenants)
      const user = pick(users)
      const mine = live.filter((m) => m.tenant === tenant && m.owner === user)
      const visible = live.filter(
        (m) => m.tenant === tenant && (m.visibility === 'team' || m.owner === user),
      )
      const roll = random()
      if (roll < 0.4 || visible.length === 0) {
        const visibility = random() < 0.5 ? 'team' : 'private'
        const res = await call('POST', '/api/v4/memories', tenant, user, {
          content: `m${i}`,
          visibility,
        })
        const body = (await res.json()) as { id: string }
        live.push({ id: body.id, tenant, owner: user, visibility })
      } else if (roll < 0.65) {
        const m = pick(visible)
        expect(
          (await call('PATCH', `/api/v4/memories/${m.id}`, tenant, user, { content: `edit ${i}` }))
            .status,
        ).toBe(200)
      } else if (roll < 0.85 && mine.length > 0) {
        const m = pick(mine)
        m.visibility = m.visibility === 'team' ? 'private' : 'team'
        expect(
          (
            await call('PATCH', `/api/v4/memories/${m.id}`, tenant, user, {
              visibility: m.visibility,
            })
          ).status,
        ).toBe(200)
      } else if (mine.length > 0) {
        const m = pick(mine)
        expect((await call('DELETE', `/api/v4/memories/${m.id}`, tenant, user)).status).toBe(204)
        live.splice(live.indexOf(m), 1)
      } else continue
      ops++
    }
    expect(ops).toBeGreaterThan(60)

    // Wait until the log is quiet (embeddings done), then until every client has what it should.
    const log = await quietLog(database.db, tenants, 100, 5)
    for (const c of clients) {
      const expected = expectedFrames(log, c.tenant, c.user)
      const got = () =>
        c.socket.frames.filter((f) => f.seq !== undefined).map((f) => `${f.seq} ${f.type} ${f.id}`)
      await c.socket
        .waitFor(
          () => got().length >= expected.length,
          `${expected.length} events for ${c.user}`,
          10_000,
        )
        .catch(() => {})
      await Bun.sleep(50)
      expect({ client: `${c.tenant}/${c.user}`, events: got() }).toEqual({
        client: `${c.tenant}/${c.user}`,
        events: expected,
      })
    }
    expect(idle.frames.map((f) => f.type)).toEqual(['connected'])
    // Frames of another tenant never arrived: every memory in any frame belongs to the socket's tenant.
    for (const c of clients) {
      for (const f of c.socket.frames) {
        if (f.data?.memory) expect(f.data.memory.tenantId).toBe(c.tenant)
      }
    }
    await Promise.all([...clients.map((c) => c.socket.close()), idle.close()])
  }, 60_000)
})
