// Prunes the event log past its retention window; resuming from before the window is then refused.
import { lt } from 'drizzle-orm'
import type { Db } from '../db/database.ts'
import { events } from '../db/schema.ts'

/** Deletes events written before `cutoff`; returns how many. tenant_seqs is kept, so seqs never repeat. */
export async function pruneEvents(db: Db, cutoff: Date): Promise<number> {
  const deleted = await db
    .delete(events)
    .where(lt(events.createdAt, cutoff))
    .returning({ id: events.id })
  return deleted.length
}
