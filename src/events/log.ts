// Appends to the event log inside the caller's transaction, so a change and its event commit together.
import { type Placeholder, type SQL, sql } from 'drizzle-orm'
import type { WithSubquery } from 'drizzle-orm/subquery'
import type { Db, Tx } from '../db/database.ts'
import { events, tenantSeqs } from '../db/schema.ts'
import type { EventSubject, MemoryEvent, StoredEvent } from './types.ts'

/** An event's columns as statement inputs: values, or placeholders of a prepared statement. */
type Input = unknown | Placeholder
interface EventInputs {
  id: Input
  tenantId: Input
  type: Input
  memoryId: Input
  ownerId: Input
  visibility: Input
  /** JSON text. */
  payload: Input
  /** When absent, clock_timestamp(): the moment just before commit. */
  createdAt?: Input
}

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
  const [row] = await appendStatement(tx, [], {
    ...subject,
    id: Bun.randomUUIDv7(),
    type: event.type,
    payload: JSON.stringify(event.payload),
    ...(opts.at ? { createdAt: opts.at.toISOString() } : {}),
  })
  if (!row) throw new Error('event insert returned no row')
  return row
}

/**
 * The append as a statement, with `before` (data-modifying CTEs) run in it ahead of the event: a
 * change and its event in one statement commit together without a transaction (one round trip).
 * Given placeholders, the result can be prepared once and run many times.
 */
export function appendStatement(tx: Tx | Db, before: WithSubquery[], e: EventInputs) {
  const next = tx.$with('next').as(
    tx
      .insert(tenantSeqs)
      .values({ tenantId: sql`${e.tenantId}`, seq: 1 })
      .onConflictDoUpdate({ target: tenantSeqs.tenantId, set: { seq: sql`${tenantSeqs.seq} + 1` } })
      .returning({ seq: tenantSeqs.seq }),
  )
  const createdAt: SQL =
    e.createdAt === undefined ? sql`clock_timestamp()` : sql`${e.createdAt}::timestamptz`
  return tx
    .with(...before, next)
    .insert(events)
    .select(
      tx
        .select({
          id: sql`${e.id}::uuid`.as('id'),
          tenantId: sql`${e.tenantId}`.as('tenant_id'),
          seq: next.seq,
          type: sql`${e.type}`.as('type'),
          memoryId: sql`${e.memoryId}::uuid`.as('memory_id'),
          ownerId: sql`${e.ownerId}`.as('owner_id'),
          visibility: sql`${e.visibility}`.as('visibility'),
          payload: sql`${e.payload}::jsonb`.as('payload'),
          createdAt: createdAt.as('created_at'),
        })
        .from(next),
    )
    .returning()
}
