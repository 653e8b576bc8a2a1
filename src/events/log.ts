// Appends to the event log in the caller's transaction or statement, so a change and its events commit together.
import { getTableColumns, type SQL, sql } from 'drizzle-orm'
import type { WithSubquery } from 'drizzle-orm/subquery'
import type { Db, Tx } from '../db/database.ts'
import { events, tenantSeqs } from '../db/schema.ts'
import type { EventSubject, MemoryEvent, StoredEvent } from './types.ts'

/**
 * What an insert reads back: every column but the payload, which the writer has already (reading it
 * back cost the database its output and the server its parse).
 */
const { payload: _payload, ...loggedColumns } = getTableColumns(events)

/**
 * Guarantee: within a tenant, committed events have seq 1, 2, 3, … with no gap, in commit order.
 * The counter upsert takes the tenant's row lock and holds it until the transaction ends, so a
 * second writer waits for the first to commit; if the first rolls back, its seq is handed out
 * again. One statement (the upsert is a CTE feeding the insert): call it last in the transaction
 * to keep that lock short. Being last also makes its `created_at` (clock_timestamp(), unless `at` is
 * given) the moment just before commit: the time clients see as the event's `timestamp`.
 */
export async function appendEvent(
  tx: Tx | Db,
  subject: EventSubject,
  event: MemoryEvent,
  opts: { at?: Date } = {},
): Promise<StoredEvent> {
  const { at } = opts
  const next = tx.$with('next').as(
    tx
      .insert(tenantSeqs)
      .values({ tenantId: subject.tenantId, seq: 1 })
      .onConflictDoUpdate({ target: tenantSeqs.tenantId, set: { seq: sql`${tenantSeqs.seq} + 1` } })
      .returning({ seq: tenantSeqs.seq }),
  )
  const [row] = await tx
    .with(next)
    .insert(events)
    .select(
      tx
        .select({
          id: sql`${Bun.randomUUIDv7()}::uuid`.as('id'),
          tenantId: sql`${subject.tenantId}`.as('tenant_id'),
          seq: next.seq,
          type: sql`${event.type}`.as('type'),
          memoryId: sql`${subject.memoryId}::uuid`.as('memory_id'),
          ownerId: sql`${subject.ownerId}`.as('owner_id'),
          visibility: sql`${subject.visibility}`.as('visibility'),
          payload: sql`${JSON.stringify(event.payload)}::jsonb`.as('payload'),
          createdAt: (at ? sql`${at.toISOString()}::timestamptz` : sql`clock_timestamp()`).as(
            'created_at',
          ),
        })
        .from(next),
    )
    .returning(loggedColumns)
  if (!row) throw new Error('event insert returned no row')
  return { ...row, payload: event.payload }
}

/**
 * Events read back without their payloads (appendManyStatement), each given the payload its writer
 * sent for that event id. A row with no payload sent for it is a bug in the statement: it throws.
 */
export function withPayloads(
  logged: readonly Omit<StoredEvent, 'payload'>[],
  payloads: ReadonlyMap<string, StoredEvent['payload']>,
): StoredEvent[] {
  return logged.map((e) => {
    const payload = payloads.get(e.id)
    if (!payload) throw new Error(`event ${e.id} was logged without a payload sent for it`)
    return { ...e, payload }
  })
}

/** Where many events come from: a row source and, per row, each event column as SQL over it. */
export interface EventSource {
  /** Data-modifying or plain CTEs the source reads (run in the same statement). */
  before: WithSubquery[]
  /** The rows to log, one event each (CTE names, joined if need be). */
  from: SQL
  /** Each event's columns; `ord` orders a tenant's events within the statement. */
  columns: Record<
    'ord' | 'id' | 'tenantId' | 'type' | 'memoryId' | 'ownerId' | 'visibility' | 'payload',
    SQL
  >
}

/**
 * Logs one event per source row in one statement, with the same guarantee as appendEvent: each
 * tenant's counter is bumped once by its count of rows, in tenant order (so two such statements
 * cannot wait on each other in a cycle), and its events get the consecutive seqs in `ord` order.
 * The rows come back without their payloads: the caller pairs each with its own by id.
 */
export function appendManyStatement(tx: Tx | Db, source: EventSource) {
  const c = source.columns
  const counts = tx
    .$with('counts', {})
    .as(sql`select ${c.tenantId} as tenant_id, count(*) as n from ${source.from} group by 1`)
  const bumped = tx.$with('bumped').as(
    tx
      .insert(tenantSeqs)
      .select(sql`select tenant_id, n from counts order by tenant_id`)
      .onConflictDoUpdate({
        target: tenantSeqs.tenantId,
        set: { seq: sql`${tenantSeqs.seq} + excluded.seq` },
      })
      .returning({ tenantId: tenantSeqs.tenantId, seq: tenantSeqs.seq }),
  )
  return tx
    .with(...source.before, counts, bumped)
    .insert(events)
    .select(
      sql`select ${c.id}, ${c.tenantId}, bumped.seq - counts.n + row_number() over (partition by ${c.tenantId} order by ${c.ord}), ${c.type}, ${c.memoryId}, ${c.ownerId}, ${c.visibility}, ${c.payload}, clock_timestamp() from ${source.from} join counts on counts.tenant_id = ${c.tenantId} join bumped on bumped.tenant_id = ${c.tenantId}`,
    )
    .returning(loggedColumns)
}
