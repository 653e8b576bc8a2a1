// Decides who an event goes to (the tenant's team, or one user) and what each receives; frames are
// serialised once per variant.
import type { BusEvent } from '../../bus/bus.ts'
import type { EventPayload } from '../../events/types.ts'
import { encodeEventFrame } from '../../protocol/encode.ts'
import type { MemoryEventType, ServerFrameData } from '../../protocol/frames.ts'

export interface Delivery {
  /** Undefined: every socket of the tenant (the team topic); else only this user's sockets. */
  userId?: string
  /** The frame's type (for a transition it differs from the event's). */
  type: MemoryEventType
  frame: string
}

/**
 * Routing rules (what a socket can receive is decided here, not by the client):
 * - a team memory's events go to the tenant's team; a private memory's to its owner only;
 * - team → private: the owner gets `memory.updated`, every other user `memory.deleted`;
 * - private → team: the owner gets `memory.updated`, every other user `memory.created`.
 * Transitions are rare, so their per-user publishes loop over users present here, not sockets.
 */
export function route(
  event: BusEvent,
  usersHere: (tenantId: string) => Iterable<string>,
): Delivery[] {
  const { tenantId, ownerId, visibility } = event
  const at = { id: event.id, seq: event.seq, at: event.createdAt }
  const frame = <K extends MemoryEventType>(type: K, data: ServerFrameData<K>) =>
    encodeEventFrame(type, data, at)
  const to = visibility === 'team' ? {} : { userId: ownerId }

  switch (event.type) {
    case 'memory.created': {
      const { memory } = event.payload as EventPayload<'memory.created'>
      return [{ ...to, type: event.type, frame: frame(event.type, { memory }) }]
    }
    case 'memory.deleted':
      return [
        {
          ...to,
          type: event.type,
          frame: frame(event.type, { memoryId: event.memoryId }),
        },
      ]
    case 'memory.embedding_complete': {
      const { model, dimensions } = event.payload as EventPayload<'memory.embedding_complete'>
      const data = { memoryId: event.memoryId, model, dimensions }
      return [{ ...to, type: event.type, frame: frame(event.type, data) }]
    }
    case 'memory.updated': {
      // Events logged before visibility transitions existed carry no previousVisibility.
      const { memory, previousVisibility } = event.payload as Partial<
        EventPayload<'memory.updated'>
      >
      if (!memory) return []
      const updated = frame('memory.updated', { memory })
      if (previousVisibility === undefined || previousVisibility === visibility) {
        return [{ ...to, type: 'memory.updated', frame: updated }]
      }
      const out: Delivery[] = [{ userId: ownerId, type: 'memory.updated', frame: updated }]
      const others =
        visibility === 'private'
          ? ({
              type: 'memory.deleted',
              frame: frame('memory.deleted', { memoryId: event.memoryId }),
            } as const)
          : ({ type: 'memory.created', frame: frame('memory.created', { memory }) } as const)
      for (const userId of usersHere(tenantId)) {
        if (userId !== ownerId) out.push({ userId, ...others })
      }
      return out
    }
    default:
      return []
  }
}
