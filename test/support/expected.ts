// What a user should receive for each logged event, by the visibility rules (the test oracle).
import { asc, inArray } from 'drizzle-orm'
import type { Db } from '../../src/db/database.ts'
import { type EventRow, events } from '../../src/db/schema.ts'

/** The frame type this user gets for the event, or undefined when they get nothing. */
export function expectedFor(
  e: Pick<EventRow, 'type' | 'ownerId' | 'visibility' | 'payload'>,
  userId: string,
): string | undefined {
  const isOwner = e.ownerId === userId
  if (e.type === 'memory.updated') {
    const previous = (e.payload as { previousVisibility: string }).previousVisibility
    if (previous !== e.visibility) {
      if (isOwner) return 'memory.updated'
      return e.visibility === 'private' ? 'memory.deleted' : 'memory.created'
    }
  }
  return e.visibility === 'team' || isOwner ? e.type : undefined
}

/** The tenants' event log once it has stopped growing (late embeddings included), oldest first. */
export async function quietLog(
  db: Db,
  tenants: string[],
  pollMs = 100,
  stableRounds = 5,
): Promise<EventRow[]> {
  let log: EventRow[] = []
  for (let stable = 0, last = -1; stable < stableRounds; await Bun.sleep(pollMs)) {
    log = await db
      .select()
      .from(events)
      .where(inArray(events.tenantId, tenants))
      .orderBy(asc(events.tenantId), asc(events.seq))
    stable = log.length === last ? stable + 1 : 0
    last = log.length
  }
  return log
}

/** "seq type id" of every frame this user should have received after `afterSeq`, in order. */
export function expectedFrames(
  log: EventRow[],
  tenantId: string,
  userId: string,
  afterSeq = 0,
): string[] {
  return log
    .filter((e) => e.tenantId === tenantId && e.seq > afterSeq)
    .flatMap((e) => {
      const type = expectedFor(e, userId)
      return type ? [`${e.seq} ${type} ${e.id}`] : []
    })
}
