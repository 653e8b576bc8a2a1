// The event log: the events of each committed change, per-tenant seq gap-free in commit order, on every
// backend. A create or content edit logs its change, then (embedded inline) its embedding_complete.
import { beforeAll, describe, expect, test } from 'bun:test'
import { asc, eq } from 'drizzle-orm'
import type { Database } from '../src/db/database.ts'
import { events, memories } from '../src/db/schema.ts'
import { appendEvent } from '../src/events/log.ts'
import { currentSeqs } from '../src/events/read.ts'
import { createIn } from '../src/memories/group-commit.ts'
import { buildTestApp, type TestApp } from './support/app.ts'
import { backends } from './support/db.ts'

const subject = (tenantId: string) => ({
  tenantId,
  memoryId: crypto.randomUUID(),
  ownerId: 'u',
  visibility: 'team' as const,
})
const deleted = (memoryId: string) => ({ type: 'memory.deleted' as const, payload: { memoryId } })

for (const backend of backends) {
  describe.skipIf(!backend.isAvailable)(`event log on ${backend.name}`, () => {
    let t: TestApp
    let database: Database
    beforeAll(async () => {
      database = await backend.open()
      t = buildTestApp(database)
    })

    const logOf = (tenantId: string) =>
      database.db
        .select()
        .from(events)
        .where(eq(events.tenantId, tenantId))
        .orderBy(asc(events.seq))

    test('50 concurrent creates: created then embedding_complete each, seq 1..100 without gaps', async () => {
      const tenant = t.tenant()
      const tok = await t.token(tenant, 'alice')
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          t.call('POST', '/api/v4/memories', {
            token: tok,
            body: { content: `c${i}`, visibility: 'team' },
          }),
        ),
      )
      expect(results.every((r) => r.status === 201)).toBe(true)
      const log = await logOf(tenant)
      expect(log.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1))
      const created = log.filter((_, i) => i % 2 === 0)
      expect(created.every((e) => e.type === 'memory.created')).toBe(true)
      expect(new Set(created.map((e) => e.memoryId))).toEqual(
        new Set(results.map((r) => r.body.id)),
      )
      for (const [i, e] of created.entries()) {
        const memory = (e.payload as { memory: { id: string } }).memory
        expect(memory.id).toBe(e.memoryId)
        const next = log[2 * i + 1]
        expect([next?.type, next?.memoryId]).toEqual(['memory.embedding_complete', e.memoryId])
      }
    })

    test('concurrent creates over several tenants: each tenant gap-free, each create answered with its own memory', async () => {
      const tenants = [t.tenant(), t.tenant(), t.tenant()]
      const toks = await Promise.all(tenants.map((tenant) => t.token(tenant, 'alice')))
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          t.call('POST', '/api/v4/memories', {
            token: toks[i % 3] as string,
            body: { content: `c${i}`, visibility: 'team' },
          }),
        ),
      )
      expect(results.map((r) => r.status)).toEqual(results.map(() => 201))
      expect(results.map((r) => r.body.content)).toEqual(results.map((_, i) => `c${i}`))
      for (const [k, tenant] of tenants.entries()) {
        const log = await logOf(tenant)
        expect(log.map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1))
        const mine = results.filter((_, i) => i % 3 === k).map((r) => r.body.id)
        expect(new Set(log.map((e) => e.memoryId))).toEqual(new Set(mine))
      }
    })

    test('events handed on after commit carry each create its own data, as the log stored it', async () => {
      const tenants = [t.tenant(), t.tenant()]
      const toks = await Promise.all(tenants.map((tenant) => t.token(tenant, 'alice')))
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          t.call('POST', '/api/v4/memories', {
            token: toks[i % 2] as string,
            body: { content: `own ${i}`, tags: [`t${i}`], metadata: { i }, visibility: 'team' },
          }),
        ),
      )
      expect(results.map((r) => r.status)).toEqual(results.map(() => 201))
      const byId = new Map(results.map((r) => [r.body.id as string, r.body]))
      const live = t.committed.filter((e) => tenants.includes(e.tenantId))
      expect(live).toHaveLength(80)
      const stored = new Map(
        [...(await logOf(tenants[0] as string)), ...(await logOf(tenants[1] as string))].map(
          (e) => [e.id, e],
        ),
      )
      for (const e of live) {
        const memory = byId.get(e.memoryId)
        expect(memory?.tenantId).toBe(e.tenantId)
        expect(e.payload).toEqual(
          e.type === 'memory.created'
            ? { memory }
            : { memoryId: e.memoryId, model: memory.embedding.model, dimensions: 64 },
        )
        const row = stored.get(e.id)
        expect([row?.seq, row?.type, row?.payload]).toEqual([e.seq, e.type, e.payload])
      }
    })

    test('a create that fails in a group fails alone; the others commit', async () => {
      const tenant = t.tenant()
      const now = new Date()
      const row = (id: string, content: string) => ({
        id,
        tenantId: tenant,
        ownerId: 'alice',
        title: null,
        content,
        tags: [],
        metadata: {},
        visibility: 'team' as const,
        version: 1 as const,
        embedding: null,
        embeddingStatus: 'pending' as const,
        embeddingModel: null,
        createdAt: now,
        updatedAt: now,
      })
      const create = createIn(database.db)
      const taken = Bun.randomUUIDv7()
      await create({ row: row(taken, 'first'), payload: { memory: {} as never }, trace: null })
      const outcomes = await Promise.allSettled(
        ['a', 'b', 'dup', 'c'].map((c) =>
          create({
            row: row(c === 'dup' ? taken : Bun.randomUUIDv7(), c),
            payload: { memory: {} as never },
            trace: null,
          }),
        ),
      )
      expect(outcomes.map((o) => o.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'rejected',
        'fulfilled',
      ])
      const log = await logOf(tenant)
      expect(log.map((e) => e.seq)).toEqual([1, 2, 3, 4])
      const stored = await database.db.select().from(memories).where(eq(memories.tenantId, tenant))
      expect(stored.map((m) => m.content).sort()).toEqual(['a', 'b', 'c', 'first'])
    })

    test('seq follows commit order: a second writer waits for the first to commit', async () => {
      const tenant = t.tenant()
      let release!: () => void
      const held = new Promise<void>((r) => {
        release = r
      })
      let firstSeq = 0
      const first = database.db.transaction(async (tx) => {
        firstSeq = (await appendEvent(tx, subject(tenant), deleted('a'), { at: new Date() })).seq
        await held
      })
      while (firstSeq === 0) await Bun.sleep(1)
      let secondSeq = 0
      const second = database.db.transaction(async (tx) => {
        secondSeq = (await appendEvent(tx, subject(tenant), deleted('b'), { at: new Date() })).seq
      })
      await Bun.sleep(50)
      expect(secondSeq).toBe(0) // still waiting on the first transaction
      release()
      await Promise.all([first, second])
      expect([firstSeq, secondSeq]).toEqual([1, 2])
    })

    test('a rolled-back change leaves neither row nor event, and its seq is reused', async () => {
      const tenant = t.tenant()
      await database.db
        .transaction(async (tx) => {
          await appendEvent(tx, subject(tenant), deleted('x'), { at: new Date() })
          throw new Error('abort')
        })
        .catch(() => {})
      const after = await database.db.transaction((tx) =>
        appendEvent(tx, subject(tenant), deleted('y'), { at: new Date() }),
      )
      expect(after.seq).toBe(1)
      expect((await logOf(tenant)).map((e) => e.seq)).toEqual([1])
    })

    test('refused operations write nothing; every successful change writes its event', async () => {
      const tenant = t.tenant()
      const alice = await t.token(tenant, 'alice')
      const bob = await t.token(tenant, 'bob')
      const m = await t.call('POST', '/api/v4/memories', {
        token: alice,
        body: { content: 'x', visibility: 'team' },
      })
      const id = m.body.id
      const ok = [
        await t.call('PATCH', `/api/v4/memories/${id}`, { token: bob, body: { content: 'y' } }),
        await t.call('PATCH', `/api/v4/memories/${id}`, {
          token: alice,
          body: { visibility: 'private' },
        }),
      ]
      const refused = [
        await t.call('PATCH', `/api/v4/memories/${id}`, {
          token: alice,
          body: { title: 'z' },
          headers: { 'if-match': '1' },
        }),
        await t.call('DELETE', `/api/v4/memories/${id}`, { token: bob }),
        await t.call('PATCH', `/api/v4/memories/${id}`, { token: bob, body: { title: 'z' } }),
      ]
      expect(ok.map((r) => r.status)).toEqual([200, 200])
      expect(refused.map((r) => r.status)).toEqual([412, 404, 404])
      expect((await t.call('DELETE', `/api/v4/memories/${id}`, { token: alice })).status).toBe(204)

      const log = await logOf(tenant)
      expect(log.map((e) => [e.seq, e.type, e.visibility])).toEqual([
        [1, 'memory.created', 'team'],
        [2, 'memory.embedding_complete', 'team'],
        [3, 'memory.updated', 'team'],
        [4, 'memory.embedding_complete', 'team'],
        [5, 'memory.updated', 'private'],
        [6, 'memory.deleted', 'private'],
      ])
      expect(log[4]?.payload).toMatchObject({ previousVisibility: 'team', memory: { version: 3 } })
      expect(log[5]?.payload).toEqual({ memoryId: id })
      expect(await database.db.select().from(memories).where(eq(memories.id, id))).toEqual([])
    })

    test('tenants have independent sequences', async () => {
      const [a, b] = [t.tenant(), t.tenant()]
      for (const tenant of [a, b, a]) {
        const tok = await t.token(tenant, 'u')
        await t.call('POST', '/api/v4/memories', { token: tok, body: { content: tenant } })
      }
      expect((await logOf(a)).map((e) => e.seq)).toEqual([1, 2, 3, 4])
      expect((await logOf(b)).map((e) => e.seq)).toEqual([1, 2])
    })

    test('current seqs of many tenants at once: each its own, unknown tenants absent, any characters', async () => {
      // Tenant ids are opaque: quotes, commas, braces and backslashes must reach the query intact.
      const odd = ['a,b', 'q"uote', '{brace}', 'back\\slash', 'sp ace', 'NULL'].map(
        (s) => `${t.tenant()}${s}`,
      )
      const tenants = [...odd, ...Array.from({ length: 120 }, () => t.tenant())]
      for (const [i, tenant] of tenants.entries()) {
        for (let k = 0; k <= i % 3; k++) {
          await appendEvent(database.db, subject(tenant), deleted(crypto.randomUUID()))
        }
      }
      const unknown = t.tenant()
      const seqs = await currentSeqs(database.db, [...tenants, unknown])
      expect(seqs.size).toBe(tenants.length)
      for (const [i, tenant] of tenants.entries()) expect(seqs.get(tenant)).toBe((i % 3) + 1)
      expect(seqs.has(unknown)).toBe(false)
      // Fewer tenants after more: the same statement answers any count.
      expect(await currentSeqs(database.db, [tenants[4] as string])).toEqual(
        new Map([[tenants[4] as string, 2]]),
      )
      expect(await currentSeqs(database.db, [])).toEqual(new Map())
    })
  })
}
