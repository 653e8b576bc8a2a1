// Memory rows and their embedding jobs: the drizzle queries, with no policy in them.
import { and, asc, desc, eq, gte, inArray, isNotNull, lt, or, type SQL, sql } from 'drizzle-orm'
import type { Db, Tx } from '../db/database.ts'
import { perDatabase } from '../db/per-database.ts'
import { embeddingJobs, type MemoryRow, memories, type Visibility } from '../db/schema.ts'
import { appendStatement } from '../events/log.ts'
import type { EventPayload, StoredEvent } from '../events/types.ts'
import { activeTraceparent } from '../telemetry/spans.ts'

/** Rows this user may read in this tenant: team rows, and their own private rows. */
export function visibleTo(tenantId: string, userId: string): SQL {
  return and(
    eq(memories.tenantId, tenantId),
    or(eq(memories.visibility, 'team'), eq(memories.ownerId, userId)),
  ) as SQL
}

const p = (name: string) => sql.placeholder(name)

/**
 * A new memory, its embedding job and its `memory.created` event in one statement: atomic without
 * a transaction, one round trip. Built once per database handle and run as a prepared statement:
 * building it per request cost the server more CPU than PostgreSQL spent running it.
 */
const createStatement = perDatabase((db) => {
  const newMemory = db.$with('new_memory').as(
    db
      .insert(memories)
      .values({
        id: p('id'),
        tenantId: p('tenantId'),
        ownerId: p('ownerId'),
        title: p('title'),
        content: p('content'),
        tags: p('tags'),
        metadata: p('metadata'),
        visibility: p('visibility'),
        version: 1,
        embedding: null,
        embeddingStatus: 'pending',
        embeddingModel: null,
        createdAt: p('createdAt'),
        updatedAt: p('updatedAt'),
      })
      .returning({ id: memories.id }),
  )
  const newJob = db.$with('new_job').as(
    db
      .insert(embeddingJobs)
      .values({
        memoryId: p('id'),
        tenantId: p('tenantId'),
        runAfter: p('createdAt'),
        trace: p('trace'),
      })
      .returning({ memoryId: embeddingJobs.memoryId }),
  )
  return appendStatement(db, [newMemory, newJob], {
    id: p('eventId'),
    tenantId: p('tenantId'),
    type: 'memory.created',
    memoryId: p('id'),
    ownerId: p('ownerId'),
    visibility: p('visibility'),
    payload: p('payload'),
  }).prepare('memory_create')
})

/** A memory as first stored: version 1, its embedding still to come. */
export type NewMemoryRow = MemoryRow & {
  version: 1
  embedding: null
  embeddingStatus: 'pending'
  embeddingModel: null
}

/** Stores a new memory with its embedding job and its event (`payload`, the event's data). */
export async function insertMemory(
  db: Db,
  row: NewMemoryRow,
  payload: EventPayload<'memory.created'>,
): Promise<StoredEvent> {
  const [event] = await createStatement(db).execute({
    ...row,
    eventId: Bun.randomUUIDv7(),
    trace: activeTraceparent() ?? null,
    payload: JSON.stringify(payload),
  })
  if (!event) throw new Error('memory insert returned no event')
  return event
}

/** `forUpdate` holds the row lock until the transaction ends (optimistic checks happen under it). */
export async function findMemory(
  db: Db,
  tenantId: string,
  id: string,
  opts: { forUpdate?: boolean } = {},
): Promise<MemoryRow | undefined> {
  const q = db
    .select()
    .from(memories)
    .where(and(eq(memories.tenantId, tenantId), eq(memories.id, id)))
    .limit(1)
  const [row] = opts.forUpdate ? await q.for('update') : await q
  return row
}

/** Locks the given rows in id order (a fixed order, so concurrent lockers cannot deadlock). */
export function lockMemories(tx: Tx, ids: string[]): Promise<MemoryRow[]> {
  if (ids.length === 0) return Promise.resolve([])
  return tx
    .select()
    .from(memories)
    .where(inArray(memories.id, ids))
    .orderBy(asc(memories.id))
    .for('update')
}

export async function updateMemoryRow(
  tx: Tx,
  id: string,
  set: Partial<typeof memories.$inferInsert>,
): Promise<MemoryRow> {
  const [out] = await tx
    .update(memories)
    .set({ ...set, version: sql`${memories.version} + 1` })
    .where(eq(memories.id, id))
    .returning()
  if (!out) throw new Error('memory update returned no row')
  return out
}

export async function deleteMemoryRow(tx: Tx, id: string): Promise<void> {
  await tx.delete(memories).where(eq(memories.id, id))
}

/** Queues (or re-queues, resetting attempts) the embedding of a memory's current content. */
export async function enqueueEmbedding(
  tx: Tx,
  memoryId: string,
  tenantId: string,
  at: Date,
): Promise<void> {
  const trace = activeTraceparent() ?? null
  await tx
    .insert(embeddingJobs)
    .values({ memoryId, tenantId, runAfter: at, trace })
    .onConflictDoUpdate({
      target: embeddingJobs.memoryId,
      set: { attempts: 0, runAfter: at, claimedUntil: null, lastError: null, trace },
    })
}

export interface PageQuery {
  tenantId: string
  userId: string
  limit: number
  tag?: string
  visibility?: Visibility
  updatedSince?: Date
  /** Position after which to continue: the last row of the previous page. */
  after?: { createdAt: Date; id: string }
}

/** Newest first by (created_at, id); fetches one extra row to tell whether a next page exists. */
export function listPage(db: Db, q: PageQuery): Promise<MemoryRow[]> {
  const where: SQL[] = [visibleTo(q.tenantId, q.userId)]
  if (q.tag !== undefined) where.push(sql`${memories.tags} @> array[${q.tag}]::text[]`)
  if (q.visibility !== undefined) where.push(eq(memories.visibility, q.visibility))
  if (q.updatedSince !== undefined) where.push(gte(memories.updatedAt, q.updatedSince))
  if (q.after !== undefined) {
    const { createdAt, id } = q.after
    where.push(
      or(
        lt(memories.createdAt, createdAt),
        and(eq(memories.createdAt, createdAt), lt(memories.id, id)),
      ) as SQL,
    )
  }
  return db
    .select()
    .from(memories)
    .where(and(...where))
    .orderBy(desc(memories.createdAt), desc(memories.id))
    .limit(q.limit + 1)
}

export interface Scored {
  row: MemoryRow
  score: number
}

/**
 * Ranks the visible memories embedded with `model` by cosine similarity to `vector`. Stored
 * vectors are unit length, so the dot product is the cosine. Plain SQL: runs on both drivers.
 */
export async function searchByVector(
  db: Db,
  q: { tenantId: string; userId: string; model: string; vector: number[]; limit: number },
): Promise<Scored[]> {
  const literal = `{${q.vector.join(',')}}`
  const score = sql<number>`(select sum(a * b) from unnest(${memories.embedding}, ${literal}::real[]) as v(a, b))`
  const rows = await db
    .select({ row: memories, score })
    .from(memories)
    .where(
      and(
        visibleTo(q.tenantId, q.userId),
        eq(memories.embeddingModel, q.model),
        isNotNull(memories.embedding),
        sql`cardinality(${memories.embedding}) = ${q.vector.length}`,
      ),
    )
    .orderBy(desc(score), desc(memories.id))
    .limit(q.limit)
  return rows.map((r) => ({ row: r.row, score: Number(r.score) }))
}

/** Changes columns that are not the memory's content (embedding state): no version bump, no updated_at. */
export async function updateMemoryRowQuietly(
  tx: Tx,
  id: string,
  set: Pick<
    Partial<typeof memories.$inferInsert>,
    'embedding' | 'embeddingStatus' | 'embeddingModel'
  >,
): Promise<void> {
  await tx.update(memories).set(set).where(eq(memories.id, id))
}
