// Memory rows and their embedding jobs: the drizzle queries, with no policy in them.
import { and, desc, eq, gte, isNotNull, lt, or, type SQL, sql } from 'drizzle-orm'
import type { Db, Tx } from '../db/database.ts'
import { embeddingJobs, type MemoryRow, memories, type Visibility } from '../db/schema.ts'
import { appendEvents, type CteWrite } from '../events/log.ts'
import type { EventSubject, StoredEvent } from '../events/types.ts'
import type { MemoryJson } from '../protocol/memory.ts'

/** Rows this user may read in this tenant: team rows, and their own private rows. */
export function visibleTo(tenantId: string, userId: string): SQL {
  return and(
    eq(memories.tenantId, tenantId),
    or(eq(memories.visibility, 'team'), eq(memories.ownerId, userId)),
  ) as SQL
}

/**
 * New memories, their embedding jobs and their `memory.created` events in one statement (one round
 * trip, atomic without a transaction; the jobs' foreign keys are checked at its end). Returns the
 * events in the order of `rows`.
 */
export function insertMemories(
  db: Db,
  rows: readonly { row: MemoryRow; memory: MemoryJson }[],
): Promise<StoredEvent[]> {
  const input = rows.map(({ row }) => ({
    id: row.id,
    tenant_id: row.tenantId,
    owner_id: row.ownerId,
    title: row.title,
    content: row.content,
    tags: row.tags,
    metadata: row.metadata,
    visibility: row.visibility,
    created_at: row.createdAt.toISOString(),
  }))
  const before = [
    {
      name: 'new_rows',
      query: sql`select * from jsonb_to_recordset(${JSON.stringify(input)}::jsonb) as r(
        id uuid, tenant_id text, owner_id text, title text, content text, tags text[],
        metadata jsonb, visibility text, created_at timestamptz)`,
    },
    {
      name: 'new_memories',
      query: sql`insert into memories (id, tenant_id, owner_id, title, content, tags, metadata,
          visibility, version, embedding_status, created_at, updated_at)
        select id, tenant_id, owner_id, title, content, tags, metadata, visibility, 1, 'pending',
          created_at, created_at
        from new_rows returning id`,
    },
    {
      name: 'new_jobs',
      query: sql`insert into embedding_jobs (memory_id, tenant_id, run_after)
        select id, tenant_id, created_at from new_rows returning memory_id`,
    },
  ]
  const drafts = rows.map(({ row, memory }) => ({
    subject: subjectOf(row),
    event: { type: 'memory.created' as const, payload: { memory } },
  }))
  return appendEvents(db, drafts, { before })
}

/** Where a memory's events are routed. */
export function subjectOf(row: MemoryRow): EventSubject {
  return {
    tenantId: row.tenantId,
    memoryId: row.id,
    ownerId: row.ownerId,
    visibility: row.visibility,
  }
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
  await tx
    .insert(embeddingJobs)
    .values({ memoryId, tenantId, runAfter: at })
    .onConflictDoUpdate({
      target: embeddingJobs.memoryId,
      set: { attempts: 0, runAfter: at, claimedUntil: null, lastError: null },
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

/**
 * Stores embeddings, as writes in the statement that logs their `memory.embedding_complete` events:
 * a result is kept only if its memory still has the content it was computed from (compared by MD5,
 * under the row lock the update takes), with status ready, no version bump and no updated_at (the
 * content did not change). `drafts` yields one event per stored embedding, for appendEventsFrom.
 */
export function storeEmbeddings(
  results: readonly { memoryId: string; content: string; vector: number[] }[],
  model: string,
): { before: CteWrite[]; drafts: SQL } {
  const input = results.map((r) => ({
    id: r.memoryId,
    content_md5: new Bun.CryptoHasher('md5').update(r.content).digest('hex'),
    embedding: r.vector,
    event_id: Bun.randomUUIDv7(),
  }))
  const before: CteWrite[] = [
    {
      name: 'results',
      query: sql`select * from jsonb_to_recordset(${JSON.stringify(input)}::jsonb)
        as r(id uuid, content_md5 text, embedding real[], event_id uuid)`,
    },
    {
      name: 'stored_embeddings',
      query: sql`update memories m
        set embedding = r.embedding, embedding_status = 'ready', embedding_model = ${model}
        from results r
        where m.id = r.id and md5(m.content) = r.content_md5
        returning m.id, m.tenant_id, m.owner_id, m.visibility, r.event_id,
          cardinality(r.embedding) as dimensions`,
    },
  ]
  const drafts = sql`select (row_number() over (order by s.id))::int as ord, s.event_id as id,
      s.tenant_id, 'memory.embedding_complete' as type, s.id as memory_id, s.owner_id, s.visibility,
      jsonb_build_object('memoryId', s.id, 'model', ${model}::text, 'dimensions', s.dimensions)
        as payload,
      null::timestamptz as created_at
    from stored_embeddings s`
  return { before, drafts }
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
