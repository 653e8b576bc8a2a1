// The memory as clients see it (REST bodies and event payloads alike); built from a database row.
import { t } from 'elysia'
import type { MemoryRow } from '../db/schema.ts'

export const MemorySchema = t.Object({
  id: t.String({ format: 'uuid' }),
  tenantId: t.String(),
  ownerId: t.String(),
  title: t.Union([t.String(), t.Null()]),
  content: t.String(),
  tags: t.Array(t.String()),
  metadata: t.Record(t.String(), t.Unknown()),
  visibility: t.Union([t.Literal('private'), t.Literal('team')]),
  version: t.Integer(),
  embedding: t.Object({
    status: t.Union([t.Literal('pending'), t.Literal('ready'), t.Literal('failed')]),
    model: t.Union([t.String(), t.Null()]),
    dimensions: t.Union([t.Integer(), t.Null()]),
  }),
  createdAt: t.String({ format: 'date-time' }),
  updatedAt: t.String({ format: 'date-time' }),
})

export type MemoryDto = typeof MemorySchema.static

export function toMemoryDto(row: MemoryRow): MemoryDto {
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
      dimensions: row.embedding ? row.embedding.length : null,
    },
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  }
}
