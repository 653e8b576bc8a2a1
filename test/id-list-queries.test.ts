// Queries given a list of ids (the hub's periodic checks, a resume's access check): right rows for any
// number of ids on every backend, the same answer whether the list is long or short.
import { beforeAll, describe, expect, test } from 'bun:test'
import { revokedAmong } from '../src/api-keys/queries.ts'
import { createApiKey, revokeKey } from '../src/api-keys/service.ts'
import type { Database } from '../src/db/database.ts'
import { eventLogReader } from '../src/events/log-reader.ts'
import { buildTestApp, type TestApp } from './support/app.ts'
import { backends } from './support/db.ts'

for (const backend of backends) {
  describe.skipIf(!backend.isAvailable)(`queries over id lists on ${backend.name}`, () => {
    let t: TestApp
    let database: Database
    beforeAll(async () => {
      database = await backend.open()
      t = buildTestApp(database)
    })

    test('revoked keys among many: only the revoked ones, unknown ids left out', async () => {
      const tenantId = t.tenant()
      const keys = []
      for (let i = 0; i < 12; i++) {
        keys.push(
          await createApiKey(database.db, {
            tenantId,
            userId: `u${i}`,
            name: `k${i}`,
            scopes: ['read'],
          }),
        )
      }
      const revoked = keys.filter((_, i) => i % 3 === 0).map((k) => k.id)
      for (const id of revoked) await revokeKey(database.db, tenantId, id)
      const all = [...keys.map((k) => k.id), crypto.randomUUID()]
      expect((await revokedAmong(database.db, all)).sort()).toEqual([...revoked].sort())
      expect(await revokedAmong(database.db, [keys[1]?.id as string])).toEqual([])
      const one = revoked[1] as string
      expect(await revokedAmong(database.db, [one])).toEqual([one])
      expect(await revokedAmong(database.db, [])).toEqual([])
    })

    test("memory access by id: the tenant's memories that still exist, with owner and visibility", async () => {
      const tenant = t.tenant()
      const alice = await t.token(tenant, 'alice')
      const made = []
      for (const visibility of ['team', 'private', 'team', 'private', 'team']) {
        const res = await t.call('POST', '/api/v4/memories', {
          token: alice,
          body: { content: visibility, visibility },
        })
        made.push(res.body as { id: string; visibility: string })
      }
      const gone = made[2]?.id as string
      expect((await t.call('DELETE', `/api/v4/memories/${gone}`, { token: alice })).status).toBe(
        204,
      )
      const elsewhere = await t.call('POST', '/api/v4/memories', {
        token: await t.token(t.tenant(), 'alice'),
        body: { content: 'another tenant' },
      })
      const reader = eventLogReader(database.db)
      const ids = [...made.map((m) => m.id), elsewhere.body.id as string, crypto.randomUUID()]
      const access = await reader.memoryAccess(tenant, ids)
      expect(new Map([...access].sort())).toEqual(
        new Map(
          made
            .filter((m) => m.id !== gone)
            .map((m) => [m.id, { ownerId: 'alice', visibility: m.visibility }] as const)
            .sort(),
        ),
      )
      const one = made[1] as { id: string }
      expect(await reader.memoryAccess(tenant, [one.id])).toEqual(
        new Map([[one.id, { ownerId: 'alice', visibility: 'private' }]]),
      )
    })
  })
}
