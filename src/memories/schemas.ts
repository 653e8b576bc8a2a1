// Request schemas of the memory routes; the TypeBox schema is also the TypeScript type.
import { t } from 'elysia'
import { Visibility } from '../protocol/memory.ts'

const Tags = t.Array(t.String({ minLength: 1, maxLength: 64 }), { maxItems: 50 })
const Metadata = t.Record(t.String(), t.Unknown(), { description: 'Any JSON object' })
const Title = t.Union([t.String({ maxLength: 500 }), t.Null()])
const Content = t.String({ minLength: 1, maxLength: 200_000 })

export const CreateMemoryBody = t.Object(
  {
    title: t.Optional(Title),
    content: Content,
    tags: t.Optional(Tags),
    metadata: t.Optional(Metadata),
    visibility: t.Optional(Visibility),
  },
  { additionalProperties: false },
)
export type CreateMemoryInput = typeof CreateMemoryBody.static

export const UpdateMemoryBody = t.Object(
  {
    title: t.Optional(Title),
    content: t.Optional(Content),
    tags: t.Optional(Tags),
    metadata: t.Optional(Metadata),
    visibility: t.Optional(Visibility),
  },
  { additionalProperties: false, minProperties: 1 },
)
export type UpdateMemoryInput = typeof UpdateMemoryBody.static

export const ListMemoriesQuery = t.Object({
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 100, default: 20, title: 'limit' })),
  cursor: t.Optional(t.String({ maxLength: 200 })),
  tag: t.Optional(t.String({ minLength: 1, maxLength: 64 })),
  visibility: t.Optional(Visibility),
  updated_since: t.Optional(t.String({ format: 'date-time' })),
})
export type ListMemoriesInput = typeof ListMemoriesQuery.static

export const SearchQuery = t.Object({
  q: t.String({ minLength: 1, maxLength: 2000 }),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 100, default: 10, title: 'limit' })),
})

export const MemoryIdParams = t.Object({ id: t.String({ format: 'uuid' }) })
