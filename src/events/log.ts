// Appends to the event log inside the caller's transaction, so a change and its event commit together.
import { sql } from 'drizzle-orm'
import type { WithSubquery } from 'drizzle-orm/subquery'
import type { Db, Tx } from '../db/database.ts'
import { events, tenantSeqs } from '../db/schema.ts'
import type { EventSubject, MemoryEvent, StoredEvent } from './types.ts'

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
  opts: {
    at?: Date
    /**
     * Writes to run in the same statement, before the event (data-modifying CTEs): a change and its
     * event in one statement commit together without a transaction around them (one round trip).
     */
    before?: WithSubquery[]
  } = {},
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
    .with(...(opts.before ?? []), next)
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
    .returning()
  if (!row) throw new Error('event insert returned no row')
  return row
}
