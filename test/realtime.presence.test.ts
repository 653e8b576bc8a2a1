// Presence (join once per user, leave with the last tab), /api/v4/presence, and /api/v4/ws/status.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import type { Instance } from '../src/server.ts'
import { buildTestApp, type TestApp } from './support/app.ts'
import { pgliteBackend } from './support/db.ts'
import { openSocket, settle, startTestInstance, wsUrl } from './support/realtime.ts'

describe('presence and status', () => {
  let instance: Instance
  let t: TestApp
  beforeAll(async () => {
    const database = await pgliteBackend.open()
    instance = startTestInstance(database, { PRESENCE_GRACE_MS: '300' })
    t = buildTestApp(database)
  })
  afterAll(() => instance.stop())

  const get = async (path: string, token: string) => {
    const res = await fetch(`${instance.url}${path}`, {
      headers: { authorization: `Bearer ${token}` },
    })
    // biome-ignore lint/suspicious/noExplicitAny: inspected field by field
    return { status: res.status, body: (await res.json()) as any }
  }

  test('three tabs join once and leave once; other tenants hear nothing', async () => {
    const tenant = t.tenant()
    const watcherToken = await t.token(tenant, 'watcher')
    const watcher = await openSocket(wsUrl(instance, `?token=${watcherToken}`))
    await watcher.subscribe('tenant')
    const outsider = await openSocket(
      wsUrl(instance, `?token=${await t.token(t.tenant(), 'watcher')}`),
    )
    await outsider.subscribe('tenant')

    const aliceToken = await t.token(tenant, 'alice')
    const tabs = []
    for (let i = 0; i < 3; i++) tabs.push(await openSocket(wsUrl(instance, `?token=${aliceToken}`)))
    await watcher.waitFor((f) => f.type === 'tenant.user_joined' && f.data.userId === 'alice')
    const online = await get('/api/v4/presence', watcherToken)
    expect(online.body.data).toEqual(
      expect.arrayContaining([{ userId: 'alice' }, { userId: 'watcher' }]),
    )
    await tabs[0]?.close()
    await tabs[1]?.close()
    await settle(600)
    expect(watcher.of('tenant.user_left')).toEqual([])
    await tabs[2]?.close()
    const left = await watcher.waitFor((f) => f.type === 'tenant.user_left')
    expect(left.data).toEqual({ userId: 'alice' })
    expect(watcher.of('tenant.user_joined').filter((f) => f.data.userId === 'alice')).toHaveLength(
      1,
    )
    expect(outsider.of('tenant.user_joined', 'tenant.user_left')).toEqual([])
    expect((await get('/api/v4/presence', watcherToken)).body.data).toEqual([{ userId: 'watcher' }])
    await Promise.all([watcher.close(), outsider.close()])
  })

  test('the name claim travels with presence', async () => {
    const tenant = t.tenant()
    const watcher = await openSocket(wsUrl(instance, `?token=${await t.token(tenant, 'w')}`))
    await watcher.subscribe('tenant')
    const { signToken } = await import('../src/auth/jwt.ts')
    const { TEST_SECRET } = await import('./support/app.ts')
    const named = await openSocket(
      wsUrl(
        instance,
        `?token=${await signToken(TEST_SECRET, { tenantId: tenant, userId: 'carol', name: 'Carol C.' })}`,
      ),
    )
    expect((await watcher.waitFor((f) => f.type === 'tenant.user_joined')).data).toEqual({
      userId: 'carol',
      name: 'Carol C.',
    })
    await named.close()
    expect((await watcher.waitFor((f) => f.type === 'tenant.user_left')).data).toEqual({
      userId: 'carol',
      name: 'Carol C.',
    })
    await watcher.close()
  })

  test('ws/status is tenant-scoped for users and instance-wide for admins', async () => {
    const tenant = t.tenant()
    const user = await t.token(tenant, 'alice')
    const s = await openSocket(wsUrl(instance, `?token=${user}`))
    await s.subscribe('memories')
    await s.subscribe('tenant')
    s.send('ping')
    await s.waitFor((f) => f.type === 'pong')
    const other = await openSocket(wsUrl(instance, `?token=${await t.token(t.tenant(), 'x')}`))

    const mine = await get('/api/v4/ws/status', user)
    expect(mine.status).toBe(200)
    expect(mine.body).toMatchObject({
      scope: 'tenant',
      instanceId: expect.any(String),
      uptime: expect.any(Number),
      connections: 1,
      users: 1,
      subscriptions: { memories: 1, tenant: 1 },
      messagesReceived: 3,
    })
    expect(mine.body.messagesSent).toBeGreaterThanOrEqual(4) // connected, 2× subscribed, pong
    const admin = await get(
      '/api/v4/ws/status',
      await t.token(tenant, 'root', { scopes: ['admin'] }),
    )
    expect(admin.body.scope).toBe('instance')
    expect(admin.body.connections).toBeGreaterThanOrEqual(2)
    const health = await fetch(`${instance.url}/health`).then(
      (r) => r.json() as Promise<{ websocket: { connections: number } }>,
    )
    expect(health.websocket.connections).toBeGreaterThanOrEqual(2)
    expect((await fetch(`${instance.url}/api/v4/ws/status`)).status).toBe(401)
    await Promise.all([s.close(), other.close()])
  })
})
