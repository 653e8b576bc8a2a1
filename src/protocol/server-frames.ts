// Frames the server sends, as schemas: the server builds every frame it sends from these types (see
// encode.ts), the suite checks every frame it receives against them, and the SDKs take their types
// from them. Memory events carry the tenant's log position `seq`; presence is not logged and has none.
import { type Static, Type as T, type TSchema } from '@sinclair/typebox'
import { ChannelName, seq } from './client-frames.ts'
import { ErrorCode } from './codes.ts'
import { MemoryJson } from './memory.ts'

const Time = T.String({ format: 'date-time' })

const serverFrame = <K extends string, D extends TSchema>(type: K, data: D) =>
  T.Object({ id: T.String(), type: T.Literal(type), timestamp: Time, data })
/** The same event has the same `id` on every instance and socket. */
const eventFrame = <K extends string, D extends TSchema>(type: K, data: D) =>
  T.Object({ id: T.String(), type: T.Literal(type), seq: seq(), timestamp: Time, data })

// --- memory events ------------------------------------------------------------------------------
export const MemoryCreatedFrame = eventFrame('memory.created', T.Object({ memory: MemoryJson }))
export type MemoryCreatedFrame = Static<typeof MemoryCreatedFrame>
export const MemoryUpdatedFrame = eventFrame('memory.updated', T.Object({ memory: MemoryJson }))
export type MemoryUpdatedFrame = Static<typeof MemoryUpdatedFrame>
export const MemoryDeletedFrame = eventFrame('memory.deleted', T.Object({ memoryId: T.String() }))
export type MemoryDeletedFrame = Static<typeof MemoryDeletedFrame>
export const EmbeddingCompleteFrame = eventFrame(
  'memory.embedding_complete',
  T.Object({ memoryId: T.String(), model: T.String(), dimensions: T.Integer({ minimum: 1 }) }),
)
export type EmbeddingCompleteFrame = Static<typeof EmbeddingCompleteFrame>
export const MemoryFrame = T.Union([
  MemoryCreatedFrame,
  MemoryUpdatedFrame,
  MemoryDeletedFrame,
  EmbeddingCompleteFrame,
])
export type MemoryFrame = Static<typeof MemoryFrame>

// --- answers and notices ------------------------------------------------------------------------
export const ConnectedData = T.Object({
  connectionId: T.String(),
  userId: T.String(),
  tenantId: T.String(),
  instanceId: T.String(),
  protocolVersion: T.Integer(),
  heartbeatIntervalMs: T.Integer(),
  limits: T.Object({
    maxMessageBytes: T.Integer(),
    messagesPerSecond: T.Number(),
    burst: T.Integer(),
  }),
})
export type ConnectedData = Static<typeof ConnectedData>

export const OnlineUser = T.Object({ userId: T.String(), name: T.Optional(T.String()) })
export type OnlineUser = Static<typeof OnlineUser>

export const HistoryData = T.Object({
  events: T.Array(MemoryFrame, {
    description: 'Memory event frames, oldest first, as they were delivered live.',
  }),
  epoch: T.String({ description: "The log's epoch." }),
  seq: seq('The position the next page starts after (pass it as `since`).'),
  hasMore: T.Boolean(),
})
export type HistoryData = Static<typeof HistoryData>

export const SubscribedData = T.Object({
  channel: ChannelName,
  seq: seq('memories: the position every event before this frame brought the client to.'),
  epoch: T.Optional(
    T.String({
      description:
        'memories: the log the position belongs to; send it back with `since` when resuming.',
    }),
  ),
  replayed: T.Optional(
    T.Integer({
      minimum: 0,
      description: 'memories: how many events the resume replayed before this frame.',
    }),
  ),
})
export type SubscribedData = Static<typeof SubscribedData>

export const ErrorData = T.Object({
  code: T.Union(Object.values(ErrorCode).map((c) => T.Literal(c))),
  message: T.String(),
})
export type ErrorData = Static<typeof ErrorData>

export const ServerFrame = T.Union([
  serverFrame('connected', ConnectedData),
  serverFrame('subscribed', SubscribedData),
  serverFrame('unsubscribed', T.Object({ channel: ChannelName })),
  serverFrame('pong', T.Object({})),
  serverFrame('presence', T.Object({ users: T.Array(OnlineUser) })),
  serverFrame('history', HistoryData),
  serverFrame('error', ErrorData),
  MemoryCreatedFrame,
  MemoryUpdatedFrame,
  MemoryDeletedFrame,
  EmbeddingCompleteFrame,
  serverFrame('tenant.user_joined', OnlineUser),
  serverFrame('tenant.user_left', OnlineUser),
])
export type ServerFrame = Static<typeof ServerFrame>
