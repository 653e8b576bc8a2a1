// Memory rows and their embedding jobs: the drizzle queries, with no policy in them.
import { and, desc, eq, getTableColumns, gte, isNotNull, lt, or, type SQL, sql } from 'drizzle-orm'
import type { Db, Tx } from '../db/database.ts'
import { perDatabase } from '../db/per-database.ts'
import { embeddingJobs, type MemoryRow, memories, type Visibility } from '../db/schema.ts'
import { appendManyStatement, withPayloads } from '../events/log.ts'
import type { EventPayload, StoredEvent } from '../events/types.ts'
import { activeTraceparent } from '../telemetry/spans.ts'
import { embeddingCompleteOf } from './dto.ts'

/** Rows this user may read in this tenant: team rows, and their own private rows. */
export function visibleTo(tenantId: string, userId: string): SQL {
  return and(
    eq(memories.tenantId, tenantId),
    or(eq(memories.visibility, 'team'), eq(memories.ownerId, userId)),
  ) as SQL
}

/** A memory as first stored: version 1, embedded already (ready) or with a job queued (pending). */
export type NewMemoryRow = MemoryRow & { version: 1 } & (
    | { embedding: number[]; embeddingStatus: 'ready'; embeddingModel: string }
    | { embedding: null; embeddingStatus: 'pending'; embeddingModel: null }
  )

export interface NewMemory {
  row: NewMemoryRow
  /** The `memory.created` event's data. */
  payload: EventPayload<'memory.created'>
  /** W3C traceparent of the request that created it, for the embedding's trace. */
  trace: string | null
}

/**
 * A memory as reads return it: every column but the vector, which only search ranks by and no
 * response carries, with its length in its place. Rows come back without their thousands of
 * numbers to parse.
 */
export type StoredMemory = Omit<MemoryRow, 'embedding'> & { dimensions: number | null }

const { embedding: _vector, ...unembedded } = getTableColumns(memories)
const storedFields = {
  ...unembedded,
  dimensions: sql<number | null>`cardinality(${memories.embedding})`,
}

/** Columns in the table's order: [row key, column name]. */
const namesOf = (columns: Record<string, { name: string }>) =>
  Object.entries(columns).map(([key, c]) => [key as keyof MemoryRow, c.name] as const)
const MEMORY_COLUMNS = namesOf(getTableColumns(memories))
/** The columns a new row's JSON carries: all but the vector, which goes as a literal of its own. */
const JSON_COLUMNS = namesOf(unembedded)

/**
 * New memories and their events in one statement: atomic without a transaction, one round trip and
 * one commit for the lot. Each memory logs `memory.created`, then, if it came embedded,
 * `memory.embedding_complete`; one not embedded gets an embedding job instead. Each tenant's counter
 * is bumped once, in tenant order (so concurrent statements cannot wait on each other in a cycle),
 * and its events get consecutive seqs in input order. Built once per database handle and run
 * prepared: building it per request cost the server more CPU than PostgreSQL spent running it.
 */
const createStatement = perDatabase((db) => {
  const col = (name: string) => sql.raw(`input.${name}`)
  // The input rows: one JSON object per memory, its columns expanded into the table's row type. The
  // vector comes beside them as a real[] literal (see vectorLiteral), not in the memory's JSON. The
  // JSON is sent as text and cast here: a client told the parameter is jsonb encodes a string it is
  // given as one JSON string value.
  const input = db
    .$with('input', {})
    .as(
      sql`select x.ord, x.event_id, x.payload, x.embedded_event_id, x.embedded_payload, x.trace, x.vector, m.* from jsonb_to_recordset(${sql.placeholder('input')}::text::jsonb) as x(ord int, event_id uuid, payload jsonb, embedded_event_id uuid, embedded_payload jsonb, trace text, vector real[], memory jsonb) cross join lateral jsonb_populate_record(null::memories, x.memory) as m`,
    )
  // Every column of the table, read from the input rows, in the table's order.
  const memoryColumns = Object.fromEntries(
    MEMORY_COLUMNS.map(([key, name]) => [key, col(key === 'embedding' ? 'vector' : name)]),
  ) as Record<keyof MemoryRow, SQL>
  const newMemories = db.$with('new_memories').as(
    db
      .insert(memories)
      .select(db.select(memoryColumns).from(sql`input`) as never)
      .returning({ id: memories.id }),
  )
  const newJobs = db.$with('new_jobs').as(
    db
      .insert(embeddingJobs)
      .select(
        db
          .select({
            memoryId: col('id'),
            tenantId: col('tenant_id'),
            attempts: sql`0`,
            runAfter: col('created_at'),
            claimedUntil: sql`null::timestamptz`,
            lastError: sql`null::text`,
            trace: col('trace'),
          })
          .from(sql`input`)
          .where(sql`input.vector is null`) as never,
      )
      .returning({ memoryId: embeddingJobs.memoryId }),
  )
  // The events to log: each memory's `memory.created` (n = 0) and, if embedded, its
  // `memory.embedding_complete` (n = 1), ordered memory by memory.
  const toLog = db.$with('to_log', {}).as(sql`
    select input.ord * 2 + k.n as ord, k.type, input.tenant_id, input.id, input.owner_id, input.visibility,
      case k.n when 0 then input.event_id else input.embedded_event_id end as event_id,
      case k.n when 0 then input.payload else input.embedded_payload end as payload
    from input cross join lateral (values (0, 'memory.created'), (1, 'memory.embedding_complete')) as k(n, type)
    where k.n = 0 or input.embedded_event_id is not null`)
  const logged = (name: string) => sql.raw(`to_log.${name}`)
  return appendManyStatement(db, {
    before: [input, newMemories, newJobs, toLog],
    from: sql`to_log`,
    columns: {
      ord: logged('ord'),
      id: logged('event_id'),
      tenantId: logged('tenant_id'),
      type: logged('type'),
      memoryId: logged('id'),
      ownerId: logged('owner_id'),
      visibility: logged('visibility'),
      payload: logged('payload'),
    },
  }).prepare('memory_create')
})

/**
 * Stores new memories with their events (and jobs, for those not embedded); per memory, in input
 * order, its events in seq order: `memory.created`, then `memory.embedding_complete` if embedded.
 */
export async function insertMemories(db: Db, items: NewMemory[]): Promise<StoredEvent[][]> {
  const input = items.map(({ row, payload, trace }, ord) => ({
    ord,
    event_id: Bun.randomUUIDv7(),
    payload,
    ...(row.embedding
      ? {
          embedded_event_id: Bun.randomUUIDv7(),
          embedded_payload: embeddingCompleteOf(row.id, row.embeddingModel, row.embedding),
        }
      : { embedded_event_id: null, embedded_payload: null }),
    trace,
    vector: row.embedding ? vectorLiteral(row.embedding) : null,
    memory: storedColumns(row),
  }))
  const logged = await createStatement(db).execute({ input: JSON.stringify(input) })
  const payloads = new Map<string, StoredEvent['payload']>()
  for (const i of input) {
    payloads.set(i.event_id, i.payload)
    if (i.embedded_event_id) payloads.set(i.embedded_event_id, i.embedded_payload)
  }
  const byId = new Map(withPayloads(logged, payloads).map((e) => [e.id, e]))
  const find = (id: string) => {
    const event = byId.get(id)
    if (!event) throw new Error('memory insert returned no event')
    return event
  }
  return input.map((i) =>
    i.embedded_event_id ? [find(i.event_id), find(i.embedded_event_id)] : [find(i.event_id)],
  )
}

/**
 * A vector as PostgreSQL's text form of a real[] (`{0.25,-1e-7}`): read by the array's own input,
 * number by number. Given as a JSON array, each number went through numeric and text on its way to
 * real. JSON's number text is a form PostgreSQL's real input accepts.
 */
export function vectorLiteral(vector: readonly number[]): string {
  return `{${JSON.stringify(vector).slice(1, -1)}}`
}

/** A row as the table's column names and JSON values (what jsonb_populate_record reads). */
function storedColumns(row: MemoryRow): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, name] of JSON_COLUMNS) {
    const v = row[key]
    out[name] = v instanceof Date ? v.toISOString() : v
  }
  return out
}

/** A memory by id, outside any transaction: built once per database handle and run prepared. */
const readStatement = perDatabase((db) =>
  db
    .select(storedFields)
    .from(memories)
    .where(
      and(
        eq(memories.tenantId, sql.placeholder('tenantId')),
        eq(memories.id, sql.placeholder('id')),
      ),
    )
    .limit(1)
    .prepare('memory_read'),
)

export async function readMemory(
  db: Db,
  tenantId: string,
  id: string,
): Promise<StoredMemory | undefined> {
  const [row] = await readStatement(db).execute({ tenantId, id })
  return row
}

/** A memory by id, its row locked until the transaction ends (optimistic checks happen under it). */
export async function lockMemory(
  tx: Tx,
  tenantId: string,
  id: string,
): Promise<StoredMemory | undefined> {
  const [row] = await tx
    .select(storedFields)
    .from(memories)
    .where(and(eq(memories.tenantId, tenantId), eq(memories.id, id)))
    .limit(1)
    .for('update')
  return row
}

export async function updateMemoryRow(
  tx: Tx,
  id: string,
  set: Partial<typeof memories.$inferInsert>,
): Promise<StoredMemory> {
  const [out] = await tx
    .update(memories)
    .set({ ...set, version: sql`${memories.version} + 1` })
    .where(eq(memories.id, id))
    .returning(storedFields)
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
export function listPage(db: Db, q: PageQuery): Promise<StoredMemory[]> {
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
    .select(storedFields)
    .from(memories)
    .where(and(...where))
    .orderBy(desc(memories.createdAt), desc(memories.id))
    .limit(q.limit + 1)
}

export interface Scored {
  row: StoredMemory
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
  const score = sql<number>`(select sum(a * b) from unnest(${memories.embedding}, ${vectorLiteral(q.vector)}::real[]) as v(a, b))`
  const rows = await db
    .select({ row: storedFields, score })
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
