// The wire contract: every type of server frame is produced by a real instance and matches the
// protocol's schema (the suite-wide oracle in support/contract.ts checks every frame of every test);
// the oracle itself refuses frames that break the contract.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { ServerFrame } from '../src/protocol/server-frames.ts'
import type { Instance } from '../src/server.ts'
import { buildTestApp, type TestApp } from './support/app.ts'
import { contractProblem, contractViolations, seenFrameTypes } from './support/contract.ts'
import { pgliteBackend } from './support/db.ts'
import { openSocket, restOf, startTestInstance, wsUrl } from './support/realtime.ts'

let instance: Instance
let t: TestApp
beforeAll(async () => {
  const database = await pgliteBackend.open()
  instance = startTestInstance(database, { PRESENCE_GRACE_MS: '50' })
  t = buildTestApp(database)
})
afterAll(() => instance.stop())

const rest = (method: string, path: string, token: string, body?: unknown) =>
  restOf(instance)(method, path, token, body).then((r) => r.body)

test('an instance sends every type of frame the contract names, each matching its schema', async () => {
  const tenant = t.tenant()
  const alice = await t.token(tenant, 'alice')
  const s = await openSocket(wsUrl(instance, `?token=${alice}`))
  await s.subscribe('memories')
  await s.subscribe('tenant')

  const bob = await openSocket(wsUrl(instance, `?token=${await t.token(tenant, 'bob')}`))
  await s.waitFor((f) => f.type === 'tenant.user_joined', 'user_joined')
  await bob.close()
  await s.waitFor((f) => f.type === 'tenant.user_left', 'user_left')

  const created = await rest('POST', '/api/v4/memories', alice, {
    content: 'contract',
    tags: ['a'],
    metadata: { k: 1 },
    visibility: 'team',
  })
  await s.waitFor((f) => f.type === 'memory.embedding_complete', 'embedding_complete')
  await rest('PATCH', `/api/v4/memories/${created.id}`, alice, { title: 'titled' })
  await rest('DELETE', `/api/v4/memories/${created.id}`, alice)
  await s.waitFor((f) => f.type === 'memory.deleted', 'deleted')

  const ping = s.send('ping')
  const presence = s.send('presence')
  const history = s.send('history', { since: 0, limit: 10 })
  const bad = s.send('subscribe', { channel: 'memories', since: -1 })
  for (const id of [ping, presence, history, bad]) await s.waitFor((f) => f.id === id, id)
  const unsub = s.send('unsubscribe', { channel: 'tenant' })
  await s.waitFor((f) => f.id === unsub, 'unsubscribed')
  const page = (await s.waitFor((f) => f.id === history)).data
  expect(page.events.at(-1)).toMatchObject({
    type: 'memory.deleted',
    data: { memoryId: created.id },
  })
  await s.close()

  const contractTypes = ServerFrame.anyOf.map((m) => m.properties.type.const)
  expect(contractTypes.filter((type) => !seenFrameTypes.has(type))).toEqual([])
  expect(contractViolations).toEqual([])
})

test('the oracle refuses frames that break the contract', () => {
  const frame = {
    id: crypto.randomUUID(),
    type: 'memory.deleted',
    seq: 3,
    timestamp: new Date().toISOString(),
    data: { memoryId: crypto.randomUUID() },
  }
  expect(contractProblem(frame)).toBeUndefined()
  expect(contractProblem({ ...frame, seq: undefined })).toContain('/seq')
  expect(contractProblem({ ...frame, data: { memoryID: 'x' } })).toContain('/data/memoryId')
  expect(contractProblem({ ...frame, type: 'memory.removed' })).toContain('unknown frame type')
  expect(
    contractProblem({
      ...frame,
      type: 'error',
      seq: undefined,
      data: { code: 'no_such_code', message: 'x' },
    }),
  ).toContain('/data/code')
})
