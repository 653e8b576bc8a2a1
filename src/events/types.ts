// Event types written to the log and, later, sent to sockets. A payload is the event frame's data (see
// protocol/server-frames.ts), plus what routing needs and clients do not see.
import type { BusEvent } from '../bus/bus.ts'
import type { EventRow } from '../db/schema.ts'
import type { ServerFrameData, Visibility } from '../protocol/frames.ts'

export type MemoryEvent =
  | { type: 'memory.created'; payload: ServerFrameData<'memory.created'> }
  | {
      type: 'memory.updated'
      payload: ServerFrameData<'memory.updated'> & { previousVisibility: Visibility }
    }
  | { type: 'memory.deleted'; payload: ServerFrameData<'memory.deleted'> }
  | {
      type: 'memory.embedding_complete'
      payload: ServerFrameData<'memory.embedding_complete'>
    }

/** The stored payload of an event of this type. */
export type EventPayload<K extends MemoryEvent['type']> = Extract<
  MemoryEvent,
  { type: K }
>['payload']

/** What the log stores besides the payload: enough to route the event without reading it. */
export interface EventSubject {
  tenantId: string
  memoryId: string
  ownerId: string
  /** Visibility of the memory after the change (for deletes: before it). */
  visibility: Visibility
}

export type StoredEvent = EventRow

/** A logged event as it travels on the bus and to the hub (JSON-safe). */
export function toBusEvent(e: StoredEvent): BusEvent {
  return {
    id: e.id,
    tenantId: e.tenantId,
    seq: e.seq,
    type: e.type,
    memoryId: e.memoryId,
    ownerId: e.ownerId,
    visibility: e.visibility,
    payload: e.payload,
    createdAt: e.createdAt.toISOString(),
  }
}
