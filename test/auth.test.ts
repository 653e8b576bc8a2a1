// Credentials: every bad JWT or API key is a 401 JSON error; scopes limit what a good one may do.
import { beforeAll, describe, expect, test } from 'bun:test'
import { SignJWT } from 'jose'
import { buildTestApp, TEST_SECRET, type TestApp } from './support/app.ts'
import { pgliteBackend } from './support/db.ts'

const sign = (
  claims: Record<string, unknown>,
  secret = TEST_SECRET,
  exp: number | null = Math.floor(Date.now() / 1000) + 60,
) => {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' })
  if (exp !== null) jwt.setExpirationTime(exp)
  return jwt.sign(new TextEncoder().encode(secret))
}

describe('authentication', () => {
  let t: TestApp
  beforeAll(async () => {
    t = buildTestApp(await pgliteBackend.open())
  })

  const expect401 = async (headers: Record<string, string>, fragment: string) => {
    const res = await t.call('GET', '/api/v4/memories', { headers })
    expect(res.status).toBe(401)
    expect(res.body.error.code).toBe('unauthorized')
    expect(res.body.error.message.toLowerCase()).toContain(fragment)
  }

  test('missing credentials', () => expect401({}, 'missing credentials'))
  test('not a Bearer header', () => expect401({ authorization: 'Basic YWxpY2U6cHc=' }, 'bearer'))
  test('malformed token', () => expect401({ authorization: 'Bearer not.a.jwt' }, 'malformed'))
  test('wrong signature', async () =>
    expect401(
      {
        authorization: `Bearer ${await sign({ sub: 'u', tenant_id: 't' }, 'another-secret-another-secret-123456')}`,
      },
      'signature',
    ))
  test('expired', async () =>
    expect401(
      {
        authorization: `Bearer ${await sign({ sub: 'u', tenant_id: 't' }, TEST_SECRET, Math.floor(Date.now() / 1000) - 10)}`,
      },
      'expired',
    ))
  test('no exp claim', async () =>
    expect401(
      { authorization: `Bearer ${await sign({ sub: 'u', tenant_id: 't' }, TEST_SECRET, null)}` },
      'exp',
    ))
  test('no tenant_id', async () =>
    expect401({ authorization: `Bearer ${await sign({ sub: 'u' })}` }, 'tenant_id'))
  test('unknown scope', async () =>
    expect401(
      { authorization: `Bearer ${await sign({ sub: 'u', tenant_id: 't', scope: 'root' })}` },
      'scope',
    ))
  test('alg none is refused', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')
    const body = Buffer.from(
      JSON.stringify({ sub: 'u', tenant_id: 't', exp: 9999999999 }),
    ).toString('base64url')
    await expect401({ authorization: `Bearer ${header}.${body}.` }, '')
  })
  test('a token accepted once (and remembered) is still refused once it has expired', async () => {
    const exp = Math.floor(Date.now() / 1000) + 2
    const token = await sign({ sub: 'alice', tenant_id: t.tenant() }, TEST_SECRET, exp)
    const headers = { authorization: `Bearer ${token}` }
    expect((await t.call('GET', '/api/v4/memories', { headers })).status).toBe(200)
    expect((await t.call('GET', '/api/v4/memories', { headers })).status).toBe(200)
    await Bun.sleep(exp * 1000 - Date.now() + 50)
    await expect401(headers, 'expired')
  })

  test('the same claims signed with another secret are refused even after a good token was seen', async () => {
    const claims = { sub: 'alice', tenant_id: t.tenant() }
    const good = await sign(claims)
    const headers = { authorization: `Bearer ${good}` }
    expect((await t.call('GET', '/api/v4/memories', { headers })).status).toBe(200)
    const forged = `${good.split('.').slice(0, 2).join('.')}.${(await sign(claims, 'x'.repeat(40))).split('.')[2]}`
    await expect401({ authorization: `Bearer ${forged}` }, 'signature')
  })

  test('malformed and unknown API keys', async () => {
    await expect401({ 'x-api-key': 'hello' }, 'malformed')
    await expect401({ 'x-api-key': `pm_abcdefgh_${'A'.repeat(32)}` }, 'not valid')
  })

  test('a read-only credential can read but not write (403)', async () => {
    const tok = await t.token(t.tenant(), 'reader', { scopes: ['read'] })
    expect((await t.call('GET', '/api/v4/memories', { token: tok })).status).toBe(200)
    const w = await t.call('POST', '/api/v4/memories', { token: tok, body: { content: 'x' } })
    expect(w.status).toBe(403)
    expect(w.body.error.message).toContain('write')
  })
})

describe('API keys over HTTP', () => {
  let t: TestApp
  beforeAll(async () => {
    t = buildTestApp(await pgliteBackend.open())
  })

  test('an admin creates a key that authenticates as the named user; it is listed by prefix only; revoked → 401', async () => {
    const tenant = t.tenant()
    const admin = await t.token(tenant, 'root', { scopes: ['admin'] })
    const created = await t.call('POST', '/api/v4/api-keys', {
      token: admin,
      body: { name: 'agent', userId: 'bot-1' },
    })
    expect(created.status).toBe(201)
    const key: string = created.body.key
    expect(key.startsWith(created.body.prefix)).toBe(true)

    const m = await t.call('POST', '/api/v4/memories', {
      apiKey: key,
      body: { content: 'from a key' },
    })
    expect(m.status).toBe(201)
    expect(m.body).toMatchObject({ ownerId: 'bot-1', tenantId: tenant })

    const list = await t.call('GET', '/api/v4/api-keys', { token: admin })
    expect(list.body.data).toHaveLength(1)
    expect(JSON.stringify(list.body)).not.toContain(key)
    await Bun.sleep(20)
    const afterUse = await t.call('GET', '/api/v4/api-keys', { token: admin })
    expect(afterUse.body.data[0].lastUsedAt).not.toBeNull()

    const revoked = await t.call('DELETE', `/api/v4/api-keys/${created.body.prefix}`, {
      token: admin,
    })
    expect(revoked.status).toBe(200)
    expect(revoked.body.revokedAt).not.toBeNull()
    const denied = await t.call('GET', '/api/v4/memories', { apiKey: key })
    expect(denied.status).toBe(401)
    expect(denied.body.error.message).toContain('revoked')
  })

  test('keys are tenant-scoped and need the admin scope', async () => {
    const admin = await t.token(t.tenant(), 'root', { scopes: ['admin'] })
    const other = await t.token(t.tenant(), 'root', { scopes: ['admin'] })
    const created = await t.call('POST', '/api/v4/api-keys', { token: admin, body: { name: 'k' } })
    expect(
      (await t.call('DELETE', `/api/v4/api-keys/${created.body.id}`, { token: other })).status,
    ).toBe(404)
    expect((await t.call('GET', '/api/v4/api-keys', { token: other })).body.data).toEqual([])
    const user = await t.token(t.tenant(), 'u')
    const res = await t.call('GET', '/api/v4/api-keys', { token: user })
    expect(res.status).toBe(403)
  })

  test('a read-scoped key cannot write', async () => {
    const admin = await t.token(t.tenant(), 'root', { scopes: ['admin'] })
    const created = await t.call('POST', '/api/v4/api-keys', {
      token: admin,
      body: { name: 'ro', scopes: ['read'] },
    })
    expect(
      (
        await t.call('POST', '/api/v4/memories', {
          apiKey: created.body.key,
          body: { content: 'x' },
        })
      ).status,
    ).toBe(403)
  })
})
