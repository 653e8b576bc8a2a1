// The memory as clients see it, in REST bodies and event payloads alike. One schema; its type is
// derived from it, so the server's responses, its frames and the SDKs cannot disagree.
import { type Static, Type as T } from '@sinclair/typebox'

export const Visibility = T.Union([T.Literal('private'), T.Literal('team')])
export type Visibility = Static<typeof Visibility>

export const MemoryJson = T.Object(
  {
    id: T.String({ format: 'uuid' }),
    tenantId: T.String(),
    ownerId: T.String(),
    title: T.Union([T.String(), T.Null()]),
    content: T.String(),
    tags: T.Array(T.String()),
    metadata: T.Record(T.String(), T.Unknown()),
    visibility: Visibility,
    version: T.Integer({
      description: 'Starts at 1; every update adds 1 (the `If-Match` of PATCH and DELETE).',
    }),
    embedding: T.Object({
      status: T.Union([T.Literal('pending'), T.Literal('ready'), T.Literal('failed')]),
      model: T.Union([T.String(), T.Null()]),
      dimensions: T.Union([T.Integer(), T.Null()]),
    }),
    createdAt: T.String({ format: 'date-time' }),
    updatedAt: T.String({ format: 'date-time' }),
  },
  { title: 'Memory' },
)
export type MemoryJson = Static<typeof MemoryJson>
