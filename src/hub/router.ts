// Decides which topics an event goes to and what each receives; frames are serialised once per variant.
import type { BusEvent } from '../bus/bus.ts'
import { teamTopic, userTopic } from '../protocol/topics.ts'

export interface Delivery {
  topic: string
  /** The frame's type (for a transition it differs from the event's). */
  type: string
  frame: string
}

/**
 * Routing rules (what a socket can receive is decided here, by topic, not by the client):
 * - a team memory's events go to the tenant's team topic; a private memory's to its owner's topic;
 * - team → private: the owner gets `memory.updated`, every other user `memory.deleted`;
 * - private → team: the owner gets `memory.updated`, every other user `memory.created`.
 * Transitions are rare, so their per-user publishes loop over users present here, not sockets.
 */
export function route(
  event: BusEvent,
  usersHere: (tenantId: string) => Iterable<string>,
): Delivery[] {
  const { tenantId, ownerId, visibility } = event
  const base = { id: event.id, seq: event.seq, timestamp: event.createdAt }
  const frame = (type: string, data: unknown) => JSON.stringify({ ...base, type, data })

  if (event.type === 'memory.updated') {
    const { memory, previousVisibility } = event.payload as {
      memory: unknown
      previousVisibility?: string
    }
    const updated = frame('memory.updated', { memory })
    if (previousVisibility === undefined || previousVisibility === visibility) {
      return [
        {
          topic: visibility === 'team' ? teamTopic(tenantId) : userTopic(tenantId, ownerId),
          type: 'memory.updated',
          frame: updated,
        },
      ]
    }
    const othersType = visibility === 'private' ? 'memory.deleted' : 'memory.created'
    const others =
      othersType === 'memory.deleted'
        ? frame(othersType, { memoryId: event.memoryId })
        : frame(othersType, { memory })
    const out: Delivery[] = [
      { topic: userTopic(tenantId, ownerId), type: 'memory.updated', frame: updated },
    ]
    for (const userId of usersHere(tenantId)) {
      if (userId !== ownerId)
        out.push({ topic: userTopic(tenantId, userId), type: othersType, frame: others })
    }
    return out
  }

  const data = dataOf(event)
  if (data === undefined) return []
  const topic = visibility === 'team' ? teamTopic(tenantId) : userTopic(tenantId, ownerId)
  return [{ topic, type: event.type, frame: frame(event.type, data) }]
}

function dataOf(event: BusEvent): unknown {
  const p = event.payload
  switch (event.type) {
    case 'memory.created':
      return { memory: p.memory }
    case 'memory.deleted':
      return { memoryId: event.memoryId }
    case 'memory.embedding_complete':
      return { memoryId: event.memoryId, model: p.model, dimensions: p.dimensions }
    default:
      return undefined
  }
}
