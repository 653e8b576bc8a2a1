// Hostile input through the REST API, on every database: refused with 4xx naming the field, and
// the database stays usable afterwards. Each case here once answered 500 or wedged the process.
import { beforeAll, describe, expect, test } from 'bun:test'
import { SignJWT } from 'jose'
import { buildTestApp, TEST_SECRET, type TestApp } from './support/app.ts'
import { backends } from './support/db.ts'
import { canary } from './support/logs.ts'

const nested = (levels: number, leaf: unknown = 1): string =>
  `${'['.repeat(levels)}${JSON.stringify(leaf)}${']'.repeat(levels)}`
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')

for (const backend of backends) {
  describe.skipIf(!backend.isAvailable)(`hostile REST input on ${backend.name}`, () => {
    let t: TestApp
    let tok: string
    beforeAll(async () => {
      t = buildTestApp(await backend.open())
      tok = await t.token(t.tenant(), 'alice')
    })

    const create = (rawBody: string) =>
      t.call('POST', '/api/v4/memories', {
        token: tok,
        rawBody,
        headers: { 'content-type': 'application/json' },
      })

    /** The database still takes writes and reads: what a wedged driver would no longer do. */
    async function expectDatabaseUsable() {
      const made = await t.call('POST', '/api/v4/memories', {
        token: tok,
        body: { content: canary('usable-'), metadata: { note: canary() } },
      })
      expect(made.status).toBe(201)
      const got = await t.call('GET', `/api/v4/memories/${made.body.id}`, { token: tok })
      expect(got.status).toBe(200)
    }

    test('metadata deeper than JSON_MAX_DEPTH (32) is 422 naming metadata, at any depth', async () => {
      for (const levels of [33, 5_000, 200_000]) {
        const res = await create(`{"content":"x","metadata":{"a":${nested(levels - 1)}}}`)
        expect(res.status).toBe(422)
        expect(res.body.error.code).toBe('validation_failed')
        expect(res.body.error.details[0].path).toBe('/metadata')
        expect(res.body.error.message).toContain('32 levels')
      }
      const ok = await create(`{"content":"x","metadata":{"a":${nested(31)}}}`)
      expect(ok.status).toBe(201)
      const patch = await t.call('PATCH', `/api/v4/memories/${ok.body.id}`, {
        token: tok,
        rawBody: `{"metadata":{"b":${nested(40)}}}`,
        headers: { 'content-type': 'application/json' },
      })
      expect(patch.status).toBe(422)
      await expectDatabaseUsable()
    })

    test('text PostgreSQL cannot store is 422 naming the field, in every field', async () => {
      for (const bad of ['a\u0000b', 'x\ud800y', '\udc00']) {
        const cases: [unknown, string][] = [
          [{ content: bad }, '/content'],
          [{ content: 'c', title: bad }, '/title'],
          [{ content: 'c', tags: ['ok', bad] }, '/tags/1'],
          [{ content: 'c', metadata: { [bad]: 1 } }, `/metadata/${bad}`],
          [{ content: 'c', metadata: { deep: [{ v: bad }] } }, '/metadata/deep/0/v'],
        ]
        for (const [body, path] of cases) {
          const res = await create(JSON.stringify(body))
          expect(res.status).toBe(422)
          expect(res.body.error.details[0].path).toBe(path)
        }
      }
      const made = await t.call('POST', '/api/v4/memories', { token: tok, body: { content: 'c' } })
      const patch = await t.call('PATCH', `/api/v4/memories/${made.body.id}`, {
        token: tok,
        body: { content: 'p\u0000' },
      })
      expect(patch.status).toBe(422)
      expect(patch.body.error.details[0].path).toBe('/content')
      for (const q of ['tag=a%00b', 'cursor=%00', 'updated_since=%00']) {
        const res = await t.call('GET', `/api/v4/memories?${q}`, { token: tok })
        expect([400, 422]).toContain(res.status)
      }
      const tagged = await t.call('GET', '/api/v4/memories?tag=a%00b', { token: tok })
      expect(tagged.status).toBe(422)
      expect(tagged.body.error.message).toContain('tag')
      const search = await t.call('GET', '/api/v4/memories/search?q=%00', { token: tok })
      expect(search.status).toBe(422)
      const admin = await t.token(t.tenant(), 'root', { scopes: ['admin'] })
      const revoke = await t.call('DELETE', '/api/v4/api-keys/a%00b', { token: admin })
      expect(revoke.status).toBe(422)
      expect(revoke.body.error.details[0].path).toBe('/id')
      await expectDatabaseUsable()
    })

    test('well-formed odd text is stored and read back unchanged', async () => {
      const odd = [
        '😀 pair',
        '{"a",b}',
        'NULL',
        'back\\slash',
        ' ',
        '\u200b\ufeff',
        'ÿ\u0001\u001f',
      ]
      const res = await t.call('POST', '/api/v4/memories', {
        token: tok,
        body: {
          content: odd.join('|'),
          title: odd[0],
          tags: odd,
          metadata: { [odd[1] as string]: odd },
        },
      })
      expect(res.status).toBe(201)
      const got = await t.call('GET', `/api/v4/memories/${res.body.id}`, { token: tok })
      expect(got.body.content).toBe(odd.join('|'))
      expect(got.body.tags).toEqual(odd)
      expect(got.body.metadata).toEqual({ [odd[1] as string]: odd })
      const byTag = await t.call('GET', `/api/v4/memories?tag=${encodeURIComponent('{"a",b}')}`, {
        token: tok,
      })
      expect(byTag.body.data.map((m: { id: string }) => m.id)).toContain(res.body.id)
    })

    test('cursors outside the database range are 400 invalid_cursor; such dates are 422', async () => {
      const id = crypto.randomUUID()
      for (const at of [
        '0000-01-01T00:00:00.000Z',
        '+010000-01-01T00:00:00.000Z',
        '-000001-01-01T00:00:00Z',
      ]) {
        const res = await t.call('GET', `/api/v4/memories?cursor=${b64([at, id])}`, { token: tok })
        expect(res.status).toBe(400)
        expect(res.body.error.code).toBe('invalid_cursor')
      }
      for (const cursor of [
        '!!',
        b64({}),
        b64(['2026-01-01T00:00:00Z', 'not-a-uuid']),
        'a'.repeat(200),
      ]) {
        const res = await t.call('GET', `/api/v4/memories?cursor=${cursor}`, { token: tok })
        expect(res.status).toBe(400)
        expect(res.body.error.code).toBe('invalid_cursor')
      }
      const old = await t.call('GET', '/api/v4/memories?updated_since=0000-01-01T00:00:00Z', {
        token: tok,
      })
      expect(old.status).toBe(422)
      expect(old.body.error.details[0].path).toBe('/updated_since')
      await expectDatabaseUsable()
    })
  })
}

describe('credentials and messages', () => {
  let t: TestApp
  beforeAll(async () => {
    t = buildTestApp(await backends[0]!.open())
  })
  const sign = (claims: Record<string, unknown>) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(TEST_SECRET))
  const exp = () => Math.floor(Date.now() / 1000) + 600

  test('claims of the wrong type are 401, never a default', async () => {
    const wrong: Record<string, unknown>[] = [
      { sub: 42, tenant_id: 't' },
      { sub: 'u', tenant_id: ['t'] },
      { sub: 'u', tenant_id: 't', scope: 7 },
      { sub: 'u', tenant_id: 't', scope: { read: true } },
      { sub: 'u', tenant_id: 't', scope: ['read', 3] },
      { sub: 'u', tenant_id: 't', exp: String(exp()) },
      { sub: 'u', tenant_id: 't', nbf: 'now' },
      { sub: 'u', tenant_id: 't', nbf: {} },
      { sub: 'u', tenant_id: 't', name: { first: 'x' } },
    ]
    for (const claims of wrong) {
      const token = await sign({ exp: exp(), ...claims })
      const res = await t.call('GET', '/api/v4/memories', { token })
      expect(res.status).toBe(401)
      expect(res.body.error.code).toBe('unauthorized')
    }
    const good = await sign({ sub: 'u', tenant_id: 't', exp: exp(), scope: 'read' })
    expect((await t.call('GET', '/api/v4/memories', { token: good })).status).toBe(200)
  })

  test('validation messages name the parameter and, for enums, the allowed values', async () => {
    const token = await t.token(t.tenant(), 'alice')
    const vis = await t.call('POST', '/api/v4/memories', {
      token,
      body: { content: 'x', visibility: 'public' },
    })
    expect(vis.status).toBe(422)
    expect(vis.body.error.details[0]).toEqual({
      path: '/visibility',
      message: 'visibility must be one of: private, team',
    })
    for (const q of ['limit=1000', 'limit=0', 'limit=abc']) {
      const res = await t.call('GET', `/api/v4/memories?${q}`, { token })
      expect(res.status).toBe(422)
      expect(res.body.error.details[0].path).toBe('/limit')
      expect(res.body.error.message).toContain('limit must be an integer from 1 to 100')
    }
    const filter = await t.call('GET', '/api/v4/memories?visibility=public', { token })
    expect(filter.body.error.message).toContain('private, team')
    const id = await t.call('GET', '/api/v4/memories/not-a-uuid', { token })
    expect(id.status).toBe(422)
    expect(id.body.error.details[0]).toEqual({ path: '/id', message: 'id must be a UUID' })
  })
})
