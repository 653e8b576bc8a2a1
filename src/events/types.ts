// Event types written to the log and, later, sent to sockets; payload shapes per type.
import type { EventRow, Visibility } from '../db/schema.ts'
import type { MemoryDto } from '../memories/dto.ts'

export type MemoryEvent =
  | { type: 'memory.created'; payload: { memory: MemoryDto } }
  | { type: 'memory.updated'; payload: { memory: MemoryDto; previousVisibility: Visibility } }
  | { type: 'memory.deleted'; payload: { memoryId: string } }
  | {
      type: 'memory.embedding_complete'
      payload: { memoryId: string; model: string; dimensions: number }
    }

/** What the log stores besides the payload: enough to route the event without reading it. */
export interface EventSubject {
  tenantId: string
  memoryId: string
  ownerId: string
  /** Visibility of the memory after the change (for deletes: before it). */
  visibility: Visibility
}

export type StoredEvent = EventRow
