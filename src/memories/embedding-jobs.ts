// Queries of the embedding job queue: claim due jobs, store their results, schedule a retry, count the queue.
import { and, asc, eq, inArray, isNull, lt, lte, or, sql } from 'drizzle-orm'
import type { Db, Tx } from '../db/database.ts'
import { perDatabase } from '../db/per-database.ts'
import { embeddingJobs, memories } from '../db/schema.ts'
import { appendManyStatement, withPayloads } from '../events/log.ts'
import type { StoredEvent } from '../events/types.ts'
import { embeddingCompleteOf } from './dto.ts'
import { vectorLiteral } from './queries.ts'

export interface ClaimedJob {
  memoryId: string
  tenantId: string
  content: string
  /** md5 of the content claimed: a result is stored only if the memory still has this content. */
  contentHash: string
  attempts: number
  /** W3C traceparent of the write that queued it, when that write was traced. */
  trace: string | null
}

const p = (name: string) => sql.placeholder(name)
const at = (name: string) => sql`${p(name)}::timestamptz`

/**
 * One statement: picks up to `limit` due jobs (SKIP LOCKED lets several instances claim side by
 * side without taking the same job), leases them, and reads their memories' content.
 */
const claimStatement = perDatabase((db) => {
  const due = db.$with('due').as(
    db
      .select({ memoryId: embeddingJobs.memoryId })
      .from(embeddingJobs)
      .where(
        and(
          lte(embeddingJobs.runAfter, at('now')),
          or(isNull(embeddingJobs.claimedUntil), lt(embeddingJobs.claimedUntil, at('now'))),
        ),
      )
      .orderBy(asc(embeddingJobs.runAfter))
      .limit(p('limit'))
      .for('update', { skipLocked: true }),
  )
  const claimed = db.$with('claimed').as(
    db
      .update(embeddingJobs)
      .set({ claimedUntil: at('leaseUntil'), attempts: sql`${embeddingJobs.attempts} + 1` })
      // `= any(array(…))`, not `in (…)`: the generic plan of `in` scans the whole queue.
      .where(
        sql`${embeddingJobs.memoryId} = any(array(${db.select({ memoryId: due.memoryId }).from(due)}))`,
      )
      .returning({
        memoryId: embeddingJobs.memoryId,
        tenantId: embeddingJobs.tenantId,
        attempts: embeddingJobs.attempts,
        trace: embeddingJobs.trace,
      }),
  )
  // A lateral lookup per claimed job: a join may be planned as a scan of every memory.
  const memory = db
    .select({
      content: memories.content,
      contentHash: sql<string>`md5(${memories.content})`.as('content_hash'),
    })
    .from(memories)
    .where(sql`${memories.id} = "claimed"."memory_id"`)
    .limit(1)
    .as('memory')
  return db
    .with(due, claimed)
    .select({
      memoryId: claimed.memoryId,
      tenantId: claimed.tenantId,
      content: memory.content,
      contentHash: memory.contentHash,
      attempts: claimed.attempts,
      trace: claimed.trace,
    })
    .from(claimed)
    .innerJoinLateral(memory, sql`true`)
    .prepare('embedding_claim')
})

/**
 * Leases up to `limit` due jobs until `leaseUntil`; a lease that runs out (crashed worker) is
 * claimable again.
 */
export function claimJobs(
  db: Db,
  limit: number,
  now: Date,
  leaseUntil: Date,
): Promise<ClaimedJob[]> {
  return claimStatement(db).execute({
    limit,
    now: now.toISOString(),
    leaseUntil: leaseUntil.toISOString(),
  })
}

export interface EmbeddingResult {
  memoryId: string
  /** The claimed job's `contentHash`. */
  contentHash: string
  vector: number[]
}

/**
 * One statement: stores the vectors of the memories whose content is still the one embedded,
 * finishes their jobs and logs a `memory.embedding_complete` event for each. Atomic like a
 * transaction, in one round trip. Memory rows are locked before any tenant's seq counter (the
 * counters are bumped from a count over the stored rows), and counters in tenant order: no cycle of
 * waits with other writers, which take one memory row, then one counter.
 */
const finishStatement = perDatabase((db) => {
  const results = db.$with('results').as(
    db
      .select({
        memoryId: sql<string>`(r->>'memoryId')::uuid`.as('memory_id'),
        contentHash: sql<string>`r->>'contentHash'`.as('content_hash'),
        vector: sql<number[]>`(r->>'vector')::real[]`.as('vector'),
        eventId: sql<string>`(r->>'eventId')::uuid`.as('event_id'),
        payload: sql`r->'payload'`.as('payload'),
      })
      .from(sql`jsonb_array_elements(${p('results')}::jsonb) as r`),
  )
  // Each memory is found by id through its index and matched to its result by subqueries: a join
  // may be planned as a scan of every memory (hashing each content) while the table's size is unknown.
  const done = db.$with('done').as(
    db
      .update(memories)
      .set({
        embedding: sql`(select vector from results where memory_id = ${memories.id})`,
        embeddingStatus: 'ready',
        embeddingModel: sql`${p('model')}`,
      })
      .where(
        and(
          sql`${memories.id} = any(array(select memory_id from results))`,
          sql`md5(${memories.content}) = (select content_hash from results where memory_id = ${memories.id})`,
        ),
      )
      .returning({
        memoryId: memories.id,
        tenantId: memories.tenantId,
        ownerId: memories.ownerId,
        visibility: memories.visibility,
      }),
  )
  const finished = db.$with('finished').as(
    db
      .delete(embeddingJobs)
      .where(inArray(embeddingJobs.memoryId, db.select({ memoryId: done.memoryId }).from(done)))
      .returning({ memoryId: embeddingJobs.memoryId }),
  )
  return appendManyStatement(db, {
    before: [results, done, finished],
    from: sql`done join results on results.memory_id = done.id`,
    columns: {
      ord: sql`done.id`,
      id: sql`results.event_id`,
      tenantId: sql`done.tenant_id`,
      type: sql`'memory.embedding_complete'`,
      memoryId: sql`done.id`,
      ownerId: sql`done.owner_id`,
      visibility: sql`done.visibility`,
      payload: sql`results.payload`,
    },
  }).prepare('embedding_finish')
})

/** Stores embedding results (see finishStatement); returns the events logged, in seq order per tenant. */
export async function finishJobs(
  db: Db,
  model: string,
  results: EmbeddingResult[],
): Promise<StoredEvent[]> {
  if (results.length === 0) return []
  const rows = results.map((r) => ({
    memoryId: r.memoryId,
    contentHash: r.contentHash,
    vector: vectorLiteral(r.vector),
    eventId: Bun.randomUUIDv7(),
    payload: embeddingCompleteOf(r.memoryId, model, r.vector),
  }))
  const logged = await finishStatement(db).execute({ model, results: JSON.stringify(rows) })
  const payloads = new Map(rows.map((r) => [r.eventId, r.payload]))
  return withPayloads(logged, payloads).sort((a, b) => a.seq - b.seq)
}

export async function deleteJob(tx: Tx, memoryId: string): Promise<void> {
  await tx.delete(embeddingJobs).where(eq(embeddingJobs.memoryId, memoryId))
}

/** Releases the lease and schedules the next attempt, unless an update re-queued the job meanwhile. */
export async function scheduleRetry(
  db: Db,
  job: ClaimedJob,
  runAfter: Date,
  error: string,
): Promise<void> {
  await db
    .update(embeddingJobs)
    .set({ claimedUntil: null, runAfter, lastError: error.slice(0, 500) })
    .where(and(eq(embeddingJobs.memoryId, job.memoryId), eq(embeddingJobs.attempts, job.attempts)))
}

/** Memories waiting for an embedding, claimed or not (every instance's). */
export async function queueDepth(db: Db): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(embeddingJobs)
  return row?.n ?? 0
}
