// Appends to the event log inside the caller's statement or transaction, so a change and its event
// commit together.
import { type SQL, type SQLWrapper, sql } from 'drizzle-orm'
import { type Db, rowsOf, type Tx } from '../db/database.ts'
import type { EventSubject, MemoryEvent, StoredEvent } from './types.ts'

export interface EventDraft {
  subject: EventSubject
  event: MemoryEvent
  /** The event's time; default: the moment the statement writes it (clock_timestamp()). */
  at?: Date
}

/** A write to run in the same statement, before the events: `WITH name AS (query)`. */
export interface CteWrite {
  name: string
  query: SQLWrapper
}

interface EventRowJson {
  id: string
  tenant_id: string
  seq: number | string
  type: string
  memory_id: string
  owner_id: string
  visibility: 'private' | 'team'
  payload: Record<string, unknown>
  created_at: Date | string
}

/**
 * Guarantee: within a tenant, committed events have seq 1, 2, 3, … with no gap, in commit order.
 * One statement appends every draft: the tenants' counters are raised by their number of drafts
 * (an upsert in tenant order, which takes each tenant's row lock and holds it until the transaction
 * ends, so a second writer waits for the first to commit; a rollback hands its seqs out again), and
 * each draft takes the next seq of its tenant in the order given. `before` writes (data-modifying
 * CTEs) commit with the events without a transaction around them: one round trip. Call it last in
 * a transaction to keep the counter locks short; being last also makes `created_at` the moment just
 * before commit, the time clients see as the event's `timestamp`. Returns the events in draft order.
 */
export async function appendEvents(
  tx: Tx | Db,
  drafts: readonly EventDraft[],
  opts: { before?: readonly CteWrite[] } = {},
): Promise<StoredEvent[]> {
  if (drafts.length === 0) return []
  const input = drafts.map((d, ord) => ({
    ord,
    id: Bun.randomUUIDv7(),
    tenant_id: d.subject.tenantId,
    type: d.event.type,
    memory_id: d.subject.memoryId,
    owner_id: d.subject.ownerId,
    visibility: d.subject.visibility,
    payload: d.event.payload,
    created_at: d.at?.toISOString() ?? null,
  }))
  const source = sql`select * from jsonb_to_recordset(${JSON.stringify(input)}::jsonb) as d(
    ord int, id uuid, tenant_id text, type text, memory_id uuid, owner_id text,
    visibility text, payload jsonb, created_at timestamptz)`
  const events = await appendEventsFrom(tx, source, opts)
  if (events.length !== drafts.length) throw new Error('event insert returned no row')
  return events
}

/**
 * appendEvents for drafts the statement itself produces (from a `before` write's RETURNING, say):
 * `source` selects `ord, id, tenant_id, type, memory_id, owner_id, visibility, payload, created_at`
 * (`created_at` null for "now"). Returns the events in `ord` order; none if the source is empty.
 */
export async function appendEventsFrom(
  tx: Tx | Db,
  source: SQL,
  opts: { before?: readonly CteWrite[] } = {},
): Promise<StoredEvent[]> {
  const before = (opts.before ?? []).map((w) => sql`${sql.identifier(w.name)} as (${w.query}), `)
  const rows = await rowsOf<EventRowJson & { ord: number }>(
    tx,
    sql`with ${sql.join(before)}
      drafts as (${source}),
      counts as (select tenant_id, count(*)::bigint as n from drafts group by tenant_id),
      next as (
        insert into tenant_seqs (tenant_id, seq)
        select tenant_id, n from counts order by tenant_id
        on conflict (tenant_id) do update set seq = tenant_seqs.seq + excluded.seq
        returning tenant_id, seq
      ),
      appended as (
        insert into events (id, tenant_id, seq, type, memory_id, owner_id, visibility, payload, created_at)
        select d.id, d.tenant_id,
          next.seq - counts.n + row_number() over (partition by d.tenant_id order by d.ord),
          d.type, d.memory_id, d.owner_id, d.visibility, d.payload,
          coalesce(d.created_at, clock_timestamp())
        from drafts d join counts using (tenant_id) join next using (tenant_id)
        order by d.ord
        returning *
      )
      select appended.*, drafts.ord from appended join drafts using (id) order by drafts.ord`,
  )
  return rows.map((r) => ({
    id: r.id,
    tenantId: r.tenant_id,
    seq: Number(r.seq),
    type: r.type,
    memoryId: r.memory_id,
    ownerId: r.owner_id,
    visibility: r.visibility,
    payload: r.payload,
    createdAt: new Date(r.created_at),
  }))
}

/** One event (see appendEvents). */
export async function appendEvent(
  tx: Tx | Db,
  subject: EventSubject,
  event: MemoryEvent,
  opts: { at?: Date; before?: readonly CteWrite[] } = {},
): Promise<StoredEvent> {
  const [stored] = await appendEvents(
    tx,
    [{ subject, event, ...(opts.at ? { at: opts.at } : {}) }],
    opts.before ? { before: opts.before } : {},
  )
  return stored as StoredEvent
}
