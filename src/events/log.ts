// Appends to the event log inside the caller's transaction, so a change and its event commit together.
import { sql } from 'drizzle-orm'
import type { Tx } from '../db/database.ts'
import { events, tenantSeqs } from '../db/schema.ts'
import type { EventSubject, MemoryEvent, StoredEvent } from './types.ts'

/**
 * Guarantee: within a tenant, committed events have seq 1, 2, 3, … with no gap, in commit order.
 * The upsert takes the tenant's counter row lock and holds it until the transaction ends, so a
 * second writer waits here; if the first rolls back, its seq is handed out again. Call it as the
 * last statement of the transaction to keep that lock short.
 */
export async function appendEvent(
  tx: Tx,
  subject: EventSubject,
  event: MemoryEvent,
  at: Date,
): Promise<StoredEvent> {
  const [counter] = await tx
    .insert(tenantSeqs)
    .values({ tenantId: subject.tenantId, seq: 1 })
    .onConflictDoUpdate({ target: tenantSeqs.tenantId, set: { seq: sql`${tenantSeqs.seq} + 1` } })
    .returning({ seq: tenantSeqs.seq })
  if (!counter) throw new Error('tenant sequence upsert returned no row')
  const [row] = await tx
    .insert(events)
    .values({
      id: Bun.randomUUIDv7(),
      tenantId: subject.tenantId,
      seq: counter.seq,
      type: event.type,
      memoryId: subject.memoryId,
      ownerId: subject.ownerId,
      visibility: subject.visibility,
      payload: event.payload,
      createdAt: at,
    })
    .returning()
  if (!row) throw new Error('event insert returned no row')
  return row
}
