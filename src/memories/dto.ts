// The memory as clients see it (protocol/memory.ts), built from a database row; and the data of
// the `memory.embedding_complete` event of a memory just embedded (in its write or by the worker).
import type { EventPayload } from '../events/types.ts'
import type { MemoryJson } from '../protocol/memory.ts'
import type { StoredMemory } from './queries.ts'

export function toMemoryDto(row: StoredMemory): MemoryJson {
  return {
    id: row.id,
    tenantId: row.tenantId,
    ownerId: row.ownerId,
    title: row.title,
    content: row.content,
    tags: row.tags,
    metadata: row.metadata,
    visibility: row.visibility,
    version: row.version,
    embedding: {
      status: row.embeddingStatus,
      model: row.embeddingModel,
      dimensions: row.dimensions,
    },
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  }
}

export function embeddingCompleteOf(
  memoryId: string,
  model: string,
  vector: readonly number[],
): EventPayload<'memory.embedding_complete'> {
  return { memoryId, model, dimensions: vector.length }
}
