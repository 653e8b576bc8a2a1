// Embeddings: an inline embedder embeds in the write; queued jobs survive restarts and land with an
// embedding_complete event; search ranks by cosine.
import { afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { and, asc, eq } from 'drizzle-orm'
import type { Database } from '../src/db/database.ts'
import { embeddingJobs, events, memories } from '../src/db/schema.ts'
import type { StoredEvent } from '../src/events/types.ts'
import { normalize } from '../src/memories/embedder/embedder.ts'
import { createHttpEmbedder } from '../src/memories/embedder/http.ts'
import { createLocalEmbedder } from '../src/memories/embedder/local.ts'
import { type EmbeddingWorker, startEmbeddingWorker } from '../src/memories/embedding-worker.ts'
import { createLogger } from '../src/telemetry/logger.ts'
import { buildTestApp, type TestApp } from './support/app.ts'
import { backends } from './support/db.ts'

const embedder = createLocalEmbedder(64)
/** The same vectors from an embedder that, like one behind a network, leaves them to the worker. */
const queued = { ...embedder, embedsInline: false }
const log = createLogger('silent')

async function until<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const v = await probe()
    if (v !== undefined) return v
    await Bun.sleep(20)
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe('local embedder', () => {
  test('is deterministic, unit length, and closer for texts that share words', async () => {
    const [a, a2, b, c] = await embedder.embed([
      'red apple pie',
      'red apple pie',
      'apple pie recipe',
      'tax return deadline',
    ])
    expect(a).toEqual(a2 as number[])
    const dot = (x: number[], y: number[]) => x.reduce((s, v, i) => s + v * (y[i] ?? 0), 0)
    expect(dot(a as number[], a as number[])).toBeCloseTo(1, 5)
    expect(dot(a as number[], b as number[])).toBeGreaterThan(dot(a as number[], c as number[]))
  })

  test('gives the vectors it always gave: stored vectors stay comparable with new ones', async () => {
    // Fixed outputs: a change to the features or the hash would make search compare vectors of two
    // different embedders under one model name.
    const [ship, mixed, one, none] = await createLocalEmbedder(16).embed([
      'Ship the sync API',
      'Ünïcödé — 東京 café 𝒳y ok',
      'a',
      '',
    ])
    expect(ship).toEqual([
      0.5669467095138409, 0.1889822365046136, -0.1889822365046136, 0, -0.3779644730092272, 0, 0,
      -0.3779644730092272, 0, 0.1889822365046136, 0, -0.3779644730092272, -0.3779644730092272, 0, 0,
      0,
    ])
    expect(mixed).toEqual([
      -0.16222142113076254, -0.3244428422615251, -0.16222142113076254, 0, 0, -0.3244428422615251,
      -0.3244428422615251, 0.3244428422615251, 0.16222142113076254, 0.16222142113076254,
      0.48666426339228763, -0.3244428422615251, 0, 0, -0.3244428422615251, -0.16222142113076254,
    ])
    expect(one).toEqual([
      0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -0.4472135954999579, 0, 0, 0, 0, 0.8944271909999159,
    ])
    expect(none).toEqual(new Array(16).fill(0))
  })
})

for (const backend of backends) {
  describe.skipIf(!backend.isAvailable)(`queued embeddings on ${backend.name}`, () => {
    let t: TestApp
    let database: Database
    let worker: EmbeddingWorker | undefined
    beforeAll(async () => {
      database = await backend.open()
      t = buildTestApp(database, { embedder: queued })
    })
    afterEach(async () => {
      await worker?.stop()
      worker = undefined
    })
    const start = (opts: Partial<Parameters<typeof startEmbeddingWorker>[0]> = {}) => {
      worker = startEmbeddingWorker({
        db: database.db,
        embedder: queued,
        log,
        afterCommit: () => {},
        pollMs: 50,
        ...opts,
      })
      return worker
    }
    const eventsOf = (tenantId: string, type: string) =>
      database.db
        .select()
        .from(events)
        .where(and(eq(events.tenantId, tenantId), eq(events.type, type)))
        .orderBy(asc(events.seq))
    const ready = (tok: string, id: string) =>
      until(async () => {
        const r = await t.call('GET', `/api/v4/memories/${id}`, { token: tok })
        return r.body.embedding.status === 'ready' ? r.body : undefined
      }, 'embedding')

    test('jobs queued while no worker ran are picked up when one starts, each logging embedding_complete', async () => {
      const tenant = t.tenant()
      const tok = await t.token(tenant, 'alice')
      const ids: string[] = []
      for (const content of ['alpha', 'beta']) {
        ids.push(
          (await t.call('POST', '/api/v4/memories', { token: tok, body: { content } })).body.id,
        )
      }
      expect(
        (await t.call('GET', `/api/v4/memories/${ids[0]}`, { token: tok })).body.embedding.status,
      ).toBe('pending')
      start()
      for (const id of ids) {
        const m = await ready(tok, id)
        expect(m.embedding).toEqual({ status: 'ready', model: 'local-hash-64', dimensions: 64 })
        expect(m.version).toBe(1) // embedding is not an edit
      }
      const done = await eventsOf(tenant, 'memory.embedding_complete')
      expect(done.map((e) => e.payload)).toEqual(
        ids.map((memoryId) => ({ memoryId, model: 'local-hash-64', dimensions: 64 })),
      )
    })

    test('a content edit re-queues the embedding; a title edit does not', async () => {
      const tenant = t.tenant()
      const tok = await t.token(tenant, 'alice')
      start()
      const id = (
        await t.call('POST', '/api/v4/memories', { token: tok, body: { content: 'first' } })
      ).body.id
      await ready(tok, id)
      await t.call('PATCH', `/api/v4/memories/${id}`, { token: tok, body: { title: 'renamed' } })
      const edited = await t.call('PATCH', `/api/v4/memories/${id}`, {
        token: tok,
        body: { content: 'second' },
      })
      expect(edited.body.embedding.status).toBe('pending')
      await ready(tok, id)
      expect(await eventsOf(tenant, 'memory.embedding_complete')).toHaveLength(2)
    })

    test('one batch over several tenants: each tenant’s log stays gap-free, and a result for content edited meanwhile is dropped, then redone', async () => {
      const tenants = [t.tenant(), t.tenant()]
      const toks = await Promise.all(tenants.map((tenant) => t.token(tenant, 'alice')))
      const ids: string[][] = [[], []]
      for (let i = 0; i < 6; i++) {
        const k = i % 2
        const res = await t.call('POST', '/api/v4/memories', {
          token: toks[k] as string,
          body: { content: `note ${i}`, visibility: 'team' },
        })
        ids[k]?.push(res.body.id)
      }
      const edited = ids[0]?.[1] as string
      let isFirstBatch = true
      // Edits one memory while its first embedding is being computed.
      const editing = {
        ...queued,
        embed: async (texts: string[]) => {
          if (isFirstBatch) {
            isFirstBatch = false
            const patch = await t.call('PATCH', `/api/v4/memories/${edited}`, {
              token: toks[0] as string,
              body: { content: 'rewritten while embedding' },
            })
            expect(patch.status).toBe(200)
          }
          return embedder.embed(texts)
        },
      }
      const handed: StoredEvent[] = []
      start({ embedder: editing, batchSize: 16, afterCommit: (e) => handed.push(e) })
      for (const [k, list] of ids.entries()) {
        for (const id of list) await ready(toks[k] as string, id)
      }
      const stored = new Map<string, StoredEvent>()
      for (const tenant of tenants) {
        const log = await database.db
          .select()
          .from(events)
          .where(eq(events.tenantId, tenant))
          .orderBy(asc(events.seq))
        expect(log.map((e) => e.seq)).toEqual(log.map((_, i) => i + 1))
        for (const e of log) stored.set(e.id, e)
      }
      // What the worker hands on after commit is what it logged, each event with its own memory's data.
      expect(handed).toHaveLength(6)
      for (const e of handed) {
        expect(e.payload).toEqual({ memoryId: e.memoryId, model: 'local-hash-64', dimensions: 64 })
        expect(stored.get(e.id)).toEqual(e)
      }
      // The edited memory: one completion only, for its new content (the first result was dropped).
      const done = (await eventsOf(tenants[0] as string, 'memory.embedding_complete')).filter(
        (e) => e.memoryId === edited,
      )
      expect(done).toHaveLength(1)
      const [expected] = await embedder.embed(['rewritten while embedding'])
      const hit = await t.call('GET', '/api/v4/memories/search?q=rewritten%20while%20embedding', {
        token: toks[0] as string,
      })
      expect(hit.body.data[0].memory.id).toBe(edited)
      expect(hit.body.data[0].score).toBeCloseTo(
        (expected as number[]).reduce((s, v) => s + v * v, 0),
        4,
      )
    })

    test('search ranks visible memories by similarity and never shows others’ private ones', async () => {
      const tenant = t.tenant()
      const alice = await t.token(tenant, 'alice')
      const bob = await t.token(tenant, 'bob')
      start()
      const mk = async (tok: string, content: string, visibility: 'team' | 'private') =>
        (await t.call('POST', '/api/v4/memories', { token: tok, body: { content, visibility } }))
          .body.id as string
      const garden = await mk(alice, 'tomato seedlings in the garden', 'team')
      const taxes = await mk(alice, 'file the quarterly taxes', 'team')
      const secret = await mk(alice, 'garden tomato secret fertiliser', 'private')
      for (const id of [garden, taxes, secret]) await ready(alice, id)

      const forAlice = await t.call('GET', '/api/v4/memories/search?q=tomato%20garden&limit=5', {
        token: alice,
      })
      expect(forAlice.status).toBe(200)
      const aliceIds = forAlice.body.data.map((h: { memory: { id: string } }) => h.memory.id)
      expect(aliceIds.slice(0, 2).sort()).toEqual([garden, secret].sort())
      expect(aliceIds.at(-1)).toBe(taxes)
      const scores = forAlice.body.data.map((h: { score: number }) => h.score)
      expect([...scores].sort((x, y) => y - x)).toEqual(scores)

      const forBob = await t.call('GET', '/api/v4/memories/search?q=tomato%20garden', {
        token: bob,
      })
      expect(forBob.body.data.map((h: { memory: { id: string } }) => h.memory.id)).toEqual([
        garden,
        taxes,
      ])
      const stranger = await t.token(t.tenant(), 'alice')
      expect(
        (await t.call('GET', '/api/v4/memories/search?q=tomato', { token: stranger })).body.data,
      ).toEqual([])
      expect((await t.call('GET', '/api/v4/memories/search?q=', { token: alice })).status).toBe(422)
    })

    test('an embedder that fails is retried, then the memory is marked failed', async () => {
      const tenant = t.tenant()
      const tok = await t.token(tenant, 'alice')
      let calls = 0
      const broken = {
        model: 'broken',
        embedsInline: false,
        embed: async () => {
          calls++
          throw new Error('model offline')
        },
      }
      const id = (
        await t.call('POST', '/api/v4/memories', { token: tok, body: { content: 'doomed' } })
      ).body.id
      start({ embedder: broken, maxAttempts: 3, retryBaseMs: 10 })
      const m = await until(async () => {
        const r = await t.call('GET', `/api/v4/memories/${id}`, { token: tok })
        return r.body.embedding.status === 'failed' ? r.body : undefined
      }, 'failed status')
      expect(m.embedding.model).toBeNull()
      expect(calls).toBeGreaterThanOrEqual(3)
      expect(await eventsOf(tenant, 'memory.embedding_complete')).toHaveLength(0)
    })
  })
}

for (const backend of backends) {
  describe.skipIf(!backend.isAvailable)(`inline embeddings on ${backend.name}`, () => {
    let t: TestApp
    let database: Database
    beforeAll(async () => {
      database = await backend.open()
      t = buildTestApp(database, { embedder })
    })
    const logOf = async (tenantId: string) =>
      (
        await database.db
          .select()
          .from(events)
          .where(eq(events.tenantId, tenantId))
          .orderBy(asc(events.seq))
      ).map((e) => ({ seq: e.seq, type: e.type, memoryId: e.memoryId, payload: e.payload }))
    const jobsOf = (memoryId: string) =>
      database.db.select().from(embeddingJobs).where(eq(embeddingJobs.memoryId, memoryId))
    const embedded = { status: 'ready', model: 'local-hash-64', dimensions: 64 }
    const completion = (memoryId: string) => ({ memoryId, model: 'local-hash-64', dimensions: 64 })

    test('a create is stored embedded: created, then embedding_complete, no job, found by search at once', async () => {
      const tenant = t.tenant()
      const tok = await t.token(tenant, 'alice')
      const res = await t.call('POST', '/api/v4/memories', {
        token: tok,
        body: { content: 'violet crocus bulbs', visibility: 'team' },
      })
      expect(res.status).toBe(201)
      const id = res.body.id as string
      expect(res.body.embedding).toEqual(embedded)
      expect(await logOf(tenant)).toEqual([
        { seq: 1, type: 'memory.created', memoryId: id, payload: { memory: res.body } },
        { seq: 2, type: 'memory.embedding_complete', memoryId: id, payload: completion(id) },
      ])
      expect(await jobsOf(id)).toEqual([])
      const hit = await t.call('GET', '/api/v4/memories/search?q=crocus', { token: tok })
      expect(hit.body.data.map((h: { memory: { id: string } }) => h.memory.id)).toEqual([id])
    })

    test('the stored vector is the embedder’s, to the precision of real, for several creates at once', async () => {
      // Components that are tiny, negative, zero or of many digits, in a unit-length vector.
      const vectorOf = (text: string) =>
        normalize(
          Array.from({ length: 16 }, (_, i) =>
            i === 5 ? 0 : (i % 2 ? -1 : 1) * (text.length + i / 3) * 10 ** -(i % 9),
          ),
        )
      const exact = buildTestApp(database, {
        embedder: {
          model: 'exact-16',
          embedsInline: true,
          embed: async (texts) => texts.map(vectorOf),
        },
      })
      const tok = await exact.token(exact.tenant(), 'alice')
      const contents = [
        'x',
        'violet crocus bulbs',
        'Zürich 2026 ünïcödé ∑ and 12345678901234567890',
      ]
      const created = await Promise.all(
        contents.map((content) =>
          exact.call('POST', '/api/v4/memories', { token: tok, body: { content } }),
        ),
      )
      for (const [i, res] of created.entries()) {
        expect(res.status).toBe(201)
        expect(res.body.embedding).toEqual({ status: 'ready', model: 'exact-16', dimensions: 16 })
        const [stored] = await database.db
          .select({ embedding: memories.embedding })
          .from(memories)
          .where(eq(memories.id, res.body.id))
        // Read back as real's shortest text, each number names the same 32-bit float.
        expect(stored?.embedding?.map(Math.fround)).toEqual(
          vectorOf(contents[i] as string).map(Math.fround),
        )
      }
    })

    test('a content edit is re-embedded in the edit and drops a job queued for earlier content; a title edit is not', async () => {
      const tenant = t.tenant()
      const tok = await t.token(tenant, 'alice')
      // Created while the embedder was one that queues: a job waits, no worker runs.
      const before = buildTestApp(database, { embedder: queued })
      const id = (
        await before.call('POST', '/api/v4/memories', { token: tok, body: { content: 'first' } })
      ).body.id as string
      expect(await jobsOf(id)).toHaveLength(1)
      await t.call('PATCH', `/api/v4/memories/${id}`, { token: tok, body: { title: 'renamed' } })
      const edited = await t.call('PATCH', `/api/v4/memories/${id}`, {
        token: tok,
        body: { content: 'second' },
      })
      expect(edited.body.embedding).toEqual(embedded)
      expect(await jobsOf(id)).toEqual([])
      expect((await logOf(tenant)).map((e) => [e.seq, e.type])).toEqual([
        [1, 'memory.created'],
        [2, 'memory.updated'],
        [3, 'memory.updated'],
        [4, 'memory.embedding_complete'],
      ])
    })

    test('an inline embedder that fails leaves the memory pending with a job, which the worker completes', async () => {
      const tenant = t.tenant()
      const tok = await t.token(tenant, 'alice')
      const failing = buildTestApp(database, {
        embedder: { ...embedder, embed: () => Promise.reject(new Error('out of memory')) },
      })
      const res = await failing.call('POST', '/api/v4/memories', {
        token: tok,
        body: { content: 'kept anyway' },
      })
      expect(res.status).toBe(201)
      expect(res.body.embedding).toEqual({ status: 'pending', model: null, dimensions: null })
      const worker = startEmbeddingWorker({
        db: database.db,
        embedder,
        log,
        afterCommit: () => {},
        pollMs: 50,
      })
      try {
        const id = res.body.id as string
        await until(async () => ((await jobsOf(id)).length === 0 ? true : undefined), 'the job')
        const got = await t.call('GET', `/api/v4/memories/${id}`, { token: tok })
        expect(got.body.embedding).toEqual(embedded)
        expect((await logOf(tenant)).map((e) => e.type)).toEqual([
          'memory.created',
          'memory.embedding_complete',
        ])
      } finally {
        await worker.stop()
      }
    })
  })
}

describe('HTTP embedder', () => {
  test('speaks the OpenAI-compatible shape, sends the key, normalises vectors and reports errors', async () => {
    const seen: { auth: string | null; body: unknown }[] = []
    let fail = false
    const server = Bun.serve({
      port: 0,
      hostname: '127.0.0.1',
      async fetch(req) {
        const body = (await req.json()) as { input: string[] }
        seen.push({ auth: req.headers.get('authorization'), body })
        if (fail) return new Response('overloaded', { status: 503 })
        const data = body.input.map((s, index) => ({ index, embedding: [s.length, 0, 0] }))
        return Response.json({ data: data.reverse() })
      },
    })
    try {
      const e = createHttpEmbedder({
        url: `http://127.0.0.1:${server.port}/v1/embeddings`,
        model: 'm1',
        apiKey: 'k',
      })
      expect(await e.embed(['ab', 'abcd'])).toEqual([
        [1, 0, 0],
        [1, 0, 0],
      ])
      expect(seen[0]).toEqual({ auth: 'Bearer k', body: { model: 'm1', input: ['ab', 'abcd'] } })
      fail = true
      await expect(e.embed(['x'])).rejects.toThrow('503')
    } finally {
      server.stop(true)
    }
  })
})
