// What a user should receive for each logged event, by the visibility rules (the test oracle).
import type { EventRow } from '../../src/db/schema.ts'

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
