// REST behaviour of /api/v4/memories through app.handle, on every database backend.
import { beforeAll, describe, expect, test } from 'bun:test'
import { buildTestApp, type TestApp } from './support/app.ts'
import { backends } from './support/db.ts'

for (const backend of backends) {
  describe.skipIf(!backend.isAvailable)(`memories API on ${backend.name}`, () => {
    let t: TestApp
    beforeAll(async () => {
      t = buildTestApp(await backend.open())
    })

    async function userIn(tenant: string, user: string) {
      return t.token(tenant, user)
    }

    test('create returns 201 with the memory, Location and ETag; read returns the same memory', async () => {
      const tok = await userIn(t.tenant(), 'alice')
      const res = await t.call('POST', '/api/v4/memories', {
        token: tok,
        body: {
          title: 'Groceries',
          content: 'milk, eggs',
          tags: ['home', 'home', 'list'],
          metadata: { source: 'cli' },
        },
      })
      expect(res.status).toBe(201)
      expect(res.body).toMatchObject({
        title: 'Groceries',
        content: 'milk, eggs',
        tags: ['home', 'list'],
        metadata: { source: 'cli' },
        visibility: 'private',
        version: 1,
        ownerId: 'alice',
        embedding: { status: 'ready', model: 'local-hash-64', dimensions: 64 },
      })
      expect(res.headers.get('location')).toBe(`/api/v4/memories/${res.body.id}`)
      expect(res.headers.get('etag')).toBe('"1"')
      const got = await t.call('GET', `/api/v4/memories/${res.body.id}`, { token: tok })
      expect(got.status).toBe(200)
      expect(got.body).toEqual(res.body)
    })

    test('list is newest first with cursor pagination that visits every visible memory once', async () => {
      const tenant = t.tenant()
      const tok = await userIn(tenant, 'alice')
      const ids: string[] = []
      for (let i = 0; i < 7; i++) {
        const r = await t.call('POST', '/api/v4/memories', {
          token: tok,
          body: { content: `note ${i}` },
        })
        ids.push(r.body.id)
      }
      const seen: string[] = []
      let cursor: string | null = null
      let pages = 0
      do {
        const q: string = cursor ? `&cursor=${cursor}` : ''
        const page = await t.call('GET', `/api/v4/memories?limit=3${q}`, { token: tok })
        expect(page.status).toBe(200)
        expect(page.body.data.length).toBeLessThanOrEqual(3)
        seen.push(...page.body.data.map((m: { id: string }) => m.id))
        cursor = page.body.nextCursor
        pages++
      } while (cursor && pages < 10)
      expect(pages).toBe(3)
      expect(seen).toEqual([...ids].reverse())
    })

    test('list filters by tag, visibility and updated_since', async () => {
      const tenant = t.tenant()
      const tok = await userIn(tenant, 'alice')
      const a = await t.call('POST', '/api/v4/memories', {
        token: tok,
        body: { content: 'a', tags: ['x'] },
      })
      await t.call('POST', '/api/v4/memories', {
        token: tok,
        body: { content: 'b', tags: ['y'], visibility: 'team' },
      })
      const byTag = await t.call('GET', '/api/v4/memories?tag=x', { token: tok })
      expect(byTag.body.data.map((m: { id: string }) => m.id)).toEqual([a.body.id])
      const team = await t.call('GET', '/api/v4/memories?visibility=team', { token: tok })
      expect(team.body.data.map((m: { content: string }) => m.content)).toEqual(['b'])
      const before = new Date().toISOString()
      await Bun.sleep(5)
      await t.call('PATCH', `/api/v4/memories/${a.body.id}`, {
        token: tok,
        body: { title: 'touched' },
      })
      const since = await t.call(
        'GET',
        `/api/v4/memories?updated_since=${encodeURIComponent(before)}`,
        { token: tok },
      )
      expect(since.body.data.map((m: { id: string }) => m.id)).toEqual([a.body.id])
    })

    test('patch updates only the given fields, bumps the version and honours If-Match', async () => {
      const tok = await userIn(t.tenant(), 'alice')
      const created = await t.call('POST', '/api/v4/memories', {
        token: tok,
        body: { title: 'T', content: 'C', tags: ['a'] },
      })
      const id = created.body.id
      const patched = await t.call('PATCH', `/api/v4/memories/${id}`, {
        token: tok,
        body: { tags: ['b'] },
        headers: { 'if-match': '"1"' },
      })
      expect(patched.status).toBe(200)
      expect(patched.body).toMatchObject({ title: 'T', content: 'C', tags: ['b'], version: 2 })
      expect(patched.headers.get('etag')).toBe('"2"')
      const stale = await t.call('PATCH', `/api/v4/memories/${id}`, {
        token: tok,
        body: { title: 'lost update' },
        headers: { 'if-match': '1' },
      })
      expect(stale.status).toBe(412)
      expect(stale.body.error.code).toBe('precondition_failed')
      const now = await t.call('GET', `/api/v4/memories/${id}`, { token: tok })
      expect(now.body.title).toBe('T')
      const bad = await t.call('PATCH', `/api/v4/memories/${id}`, {
        token: tok,
        body: { title: 'x' },
        headers: { 'if-match': 'yesterday' },
      })
      expect(bad.status).toBe(400)
      expect(bad.body.error.code).toBe('invalid_if_match')
    })

    test('two concurrent PATCHes with the same If-Match: exactly one 200 and one 412', async () => {
      const tok = await userIn(t.tenant(), 'alice')
      const created = await t.call('POST', '/api/v4/memories', {
        token: tok,
        body: { content: 'race' },
      })
      const id = created.body.id
      const results = await Promise.all(
        ['left', 'right'].map((title) =>
          t.call('PATCH', `/api/v4/memories/${id}`, {
            token: tok,
            body: { title },
            headers: { 'if-match': '"1"' },
          }),
        ),
      )
      expect(results.map((r) => r.status).sort()).toEqual([200, 412])
      const winner = results.find((r) => r.status === 200)
      const final = await t.call('GET', `/api/v4/memories/${id}`, { token: tok })
      expect(final.body.version).toBe(2)
      expect(final.body.title).toBe(winner?.body.title)
    })

    test('delete answers 204, then the memory is 404 for read, update and delete', async () => {
      const tok = await userIn(t.tenant(), 'alice')
      const created = await t.call('POST', '/api/v4/memories', {
        token: tok,
        body: { content: 'bye' },
      })
      const path = `/api/v4/memories/${created.body.id}`
      const del = await t.call('DELETE', path, { token: tok })
      expect(del.status).toBe(204)
      for (const [method, body] of [['GET'], ['PATCH', { title: 'x' }], ['DELETE']] as const) {
        const r = await t.call(method, path, { token: tok, ...(body ? { body } : {}) })
        expect(r.status).toBe(404)
        expect(r.body.error.code).toBe('not_found')
      }
    })

    test('visibility: private is the owner’s alone; team is readable and editable by the tenant', async () => {
      const tenant = t.tenant()
      const alice = await userIn(tenant, 'alice')
      const bob = await userIn(tenant, 'bob')
      const priv = await t.call('POST', '/api/v4/memories', {
        token: alice,
        body: { content: 'secret' },
      })
      const team = await t.call('POST', '/api/v4/memories', {
        token: alice,
        body: { content: 'shared', visibility: 'team' },
      })

      expect((await t.call('GET', `/api/v4/memories/${priv.body.id}`, { token: bob })).status).toBe(
        404,
      )
      expect(
        (
          await t.call('PATCH', `/api/v4/memories/${priv.body.id}`, {
            token: bob,
            body: { title: 'x' },
          })
        ).status,
      ).toBe(404)
      expect(
        (await t.call('DELETE', `/api/v4/memories/${priv.body.id}`, { token: bob })).status,
      ).toBe(404)
      const bobList = await t.call('GET', '/api/v4/memories', { token: bob })
      expect(bobList.body.data.map((m: { id: string }) => m.id)).toEqual([team.body.id])

      const edit = await t.call('PATCH', `/api/v4/memories/${team.body.id}`, {
        token: bob,
        body: { content: 'shared+bob' },
      })
      expect(edit.status).toBe(200)
      expect(edit.body.ownerId).toBe('alice')
      const hide = await t.call('PATCH', `/api/v4/memories/${team.body.id}`, {
        token: bob,
        body: { visibility: 'private' },
      })
      expect(hide.status).toBe(403)
      const del = await t.call('DELETE', `/api/v4/memories/${team.body.id}`, { token: bob })
      expect(del.status).toBe(403)
      expect(del.body.error.code).toBe('forbidden')

      const mine = await t.call('PATCH', `/api/v4/memories/${team.body.id}`, {
        token: alice,
        body: { visibility: 'private' },
      })
      expect(mine.status).toBe(200)
      expect((await t.call('GET', `/api/v4/memories/${team.body.id}`, { token: bob })).status).toBe(
        404,
      )
    })

    test('another tenant’s memory is 404, never 403, for every verb', async () => {
      const owner = await userIn(t.tenant(), 'alice')
      const stranger = await userIn(t.tenant(), 'alice')
      const m = await t.call('POST', '/api/v4/memories', {
        token: owner,
        body: { content: 'x', visibility: 'team' },
      })
      const path = `/api/v4/memories/${m.body.id}`
      expect((await t.call('GET', path, { token: stranger })).status).toBe(404)
      expect((await t.call('PATCH', path, { token: stranger, body: { title: 'y' } })).status).toBe(
        404,
      )
      expect((await t.call('DELETE', path, { token: stranger })).status).toBe(404)
      expect((await t.call('GET', '/api/v4/memories', { token: stranger })).body.data).toEqual([])
      expect((await t.call('GET', path, { token: owner })).body.version).toBe(1)
    })
  })
}
