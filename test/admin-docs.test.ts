// The operator's pages in Debian's chromium, with every request to another origin refused: /docs
// (the API reference, from the installed Swagger UI) and /admin (the live view of every instance,
// which can disconnect a user). And the admin view across instances, through Redis.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'
import { signToken } from '../src/auth/jwt.ts'
import { startCluster } from './harness/cluster.ts'
import { redisServerPath } from './harness/redis.ts'
import { type RunningServer, startServer } from './harness/server.ts'
import { freshPostgresUrl } from './support/db.ts'
import {
  chromiumArgs,
  chromiumPath,
  hasChromium,
  postgresUrl,
  servicesRequired,
} from './support/env.ts'
import { openSocket } from './support/realtime.ts'

const SECRET = 'a'.repeat(40)

interface OpenApiOperation {
  requestBody?: { content?: Record<string, { schema?: unknown }> }
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>
}
type OpenApi = { paths: Record<string, Record<string, OpenApiOperation>> }

describe.skipIf(!hasChromium && !servicesRequired)('operator pages in chromium', () => {
  let server: RunningServer
  let browser: Browser
  const outside: string[] = []

  /** A page on which any request leaving the server's origin is refused and remembered. */
  async function isolatedPage(): Promise<Page> {
    const page = await browser.newPage()
    await page.route('**/*', (route) => {
      const url = route.request().url()
      if (new URL(url).origin === server.url) return route.continue()
      outside.push(url)
      return route.abort()
    })
    return page
  }

  beforeAll(async () => {
    server = await startServer({
      DATA_DIR: mkdtempSync(join(tmpdir(), 'puo-pages-')),
      JWT_SECRET: SECRET,
      INSTANCE_ID: 'paged',
    })
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs })
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await server?.stop()
  })

  test('/docs renders every route from this server alone', async () => {
    const page = await isolatedPage()
    await page.goto(`${server.url}/docs`)
    await page.getByText('Create a memory').first().waitFor({ timeout: 15_000 })
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text a person reads
    const text = await page.locator('body').innerText()
    for (const words of [
      'PUO Memo API',
      'Update some fields of a memory',
      'End every socket of a user',
    ])
      expect(text).toContain(words)
    expect(outside).toEqual([])
    await page.close()
  }, 30_000)

  test('the OpenAPI document describes bodies, responses and errors, under the paths clients call', async () => {
    const doc = (await (await fetch(`${server.url}/docs/json`)).json()) as OpenApi
    const paths = Object.keys(doc.paths)
    expect(paths).toContain('/api/v4/memories')
    for (const [path, method] of [
      ['/api/v4/memories', 'post'],
      ['/api/v4/memories/{id}', 'patch'],
      ['/api/v4/admin/disconnect', 'post'],
    ] as const)
      expect(doc.paths[path]?.[method]?.requestBody).toBeDefined()
    for (const path of paths) expect(path === '/' || !path.endsWith('/')).toBe(true)
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method.toUpperCase()} ${path}`
        const responses = op.responses ?? {}
        const successes = Object.keys(responses).filter((s) => /^2/.test(s))
        expect({ where, success: successes.length > 0 }).toEqual({ where, success: true })
        const errors = Object.keys(responses).filter((s) => /^[45]/.test(s))
        expect({ where, errors: errors.length > 0 }).toEqual({ where, errors: true })
        for (const status of errors) {
          const schema = responses[status]?.content?.['application/json']?.schema
          expect({ where, status, schema: schema !== undefined }).toEqual({
            where,
            status,
            schema: true,
          })
        }
        // A declared body is described (not an empty object schema).
        const body = op.requestBody?.content?.['application/json']?.schema as
          | { properties?: object }
          | undefined
        if (op.requestBody)
          expect({ where, body: body?.properties !== undefined }).toEqual({ where, body: true })
      }
    }
  })

  test('/admin shows sockets, users, closes and refusals, and disconnects a user', async () => {
    const tenant = `adm-${crypto.randomUUID().slice(0, 6)}`
    const admin = await signToken(SECRET, { tenantId: tenant, userId: 'ops', scopes: ['admin'] })
    const alice = await signToken(SECRET, { tenantId: tenant, userId: 'alice', name: 'Alice' })
    const ws = server.url.replace('http', 'ws')
    const socket = await openSocket(`${ws}/api/v4/ws?token=${alice}`)
    await socket.subscribe('memories')
    expect(
      (await fetch(`${server.url}/api/v4/ws?token=forged`, { headers: { upgrade: 'websocket' } }))
        .status,
    ).toBe(401)
    // Not an admin: the API refuses.
    const refused = await fetch(`${server.url}/api/v4/admin/instances`, {
      headers: { authorization: `Bearer ${alice}` },
    })
    expect(refused.status).toBe(403)

    const page = await isolatedPage()
    await page.goto(`${server.url}/admin`)
    await page.fill('#token', admin)
    await page.click('#connect')
    await page.locator('#users td', { hasText: 'alice' }).first().waitFor({ timeout: 15_000 })
    // The refusal came after alice's socket opened: a snapshot may hold her and not it yet.
    await page.locator('#refusals td', { hasText: '401' }).first().waitFor({ timeout: 15_000 })
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text a person reads
    const read = async (id: string) => page.locator(id).innerText()
    expect(await read('#instances')).toContain('paged')
    expect(await read('#tenants')).toContain(tenant)
    expect(await read('#users')).toContain('Alice')
    expect(await read('#refusals')).toContain('401')
    expect(await read('#totals')).toMatch(/1\s*connections/)
    const shot = join(mkdtempSync(join(tmpdir(), 'puo-admin-shot-')), 'admin.png')
    await page.screenshot({ path: shot, fullPage: true })
    expect(statSync(shot).size).toBeGreaterThan(10_000)

    await page.getByRole('button', { name: `Disconnect alice of ${tenant}` }).click()
    expect((await socket.closed).code).toBe(4403)
    await page.locator('#closes td', { hasText: '4403' }).first().waitFor({ timeout: 15_000 })
    expect(await read('#closes')).toContain('disconnected by an administrator')
    await page.locator('#users', { hasNotText: 'alice' }).waitFor({ timeout: 15_000 })
    expect(outside).toEqual([])
    await page.close()
  }, 60_000)
})

describe.skipIf((postgresUrl === undefined || redisServerPath === null) && !servicesRequired)(
  'admin view across instances',
  () => {
    test('every instance is listed by each of them; a disconnect reaches the other instance', async () => {
      const cluster = await startCluster({
        instances: 2,
        database: { url: await freshPostgresUrl(postgresUrl as string) },
        env: { EVENT_SYNC_INTERVAL_MS: '500' },
      })
      try {
        const [url0, url1] = cluster.urls as [string, string]
        const adminToken = await signToken(cluster.secret, {
          tenantId: 'ops-t',
          userId: 'ops',
          scopes: ['admin'],
        })
        const bob = await openSocket(
          `${url1.replace('http', 'ws')}/api/v4/ws?token=${await cluster.token('far', 'bob')}`,
        )
        await bob.subscribe('memories')
        type Listed = { data: { instanceId: string; onlineUsers: { userId: string }[] }[] }
        let listed: Listed = { data: [] }
        for (let i = 0; i < 50; i++) {
          const res = await fetch(`${url0}/api/v4/admin/instances`, {
            headers: { authorization: `Bearer ${adminToken}` },
          })
          listed = (await res.json()) as Listed
          const far = listed.data.find((s) => s.instanceId === 'node-1')
          if (listed.data.length === 2 && far?.onlineUsers.some((u) => u.userId === 'bob')) break
          await Bun.sleep(200)
        }
        expect(listed.data.map((s) => s.instanceId)).toEqual(['node-0', 'node-1'])
        const res = await fetch(`${url0}/api/v4/admin/disconnect`, {
          method: 'POST',
          headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ tenantId: 'far', userId: 'bob' }),
        })
        expect(res.status).toBe(202)
        expect((await bob.closed).code).toBe(4403)
      } finally {
        await cluster.stop()
      }
    }, 90_000)
  },
)
