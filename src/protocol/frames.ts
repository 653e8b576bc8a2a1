// Frame shapes of the WebSocket protocol, as plain types (no runtime dependencies: the SDK imports this).
import type { ErrorCode } from './codes.ts'

export const PROTOCOL_VERSION = 1

export const CHANNELS = ['memories', 'tenant'] as const
export type Channel = (typeof CHANNELS)[number]

/** Every frame, both directions: `{id, type, timestamp, data}`. */
export interface Frame<Type extends string = string, Data = unknown> {
  id: string
  type: Type
  timestamp: string
  data: Data
}

// --- client → server ---------------------------------------------------------------------------
/** `since`: resume after this seq (memories channel): missed events are replayed first. */
export type SubscribeFrame = Frame<'subscribe', { channel: Channel; since?: number }>
export type UnsubscribeFrame = Frame<'unsubscribe', { channel: Channel }>
export type PingFrame = Frame<'ping', Record<string, never> | undefined>
/** Who is online in the caller's tenant, on every instance; answered by a `presence` frame. */
export type PresenceRequestFrame = Frame<'presence', Record<string, never> | undefined>
/** Events after `since` this user may see, from the log (at most `limit`, default 100, ≤ 1000). */
export type HistoryRequestFrame = Frame<'history', { since: number; limit?: number }>
export type ClientFrame =
  | SubscribeFrame
  | UnsubscribeFrame
  | PingFrame
  | PresenceRequestFrame
  | HistoryRequestFrame
export const CLIENT_FRAME_TYPES = [
  'subscribe',
  'unsubscribe',
  'ping',
  'presence',
  'history',
] as const

// --- server → client ---------------------------------------------------------------------------
export interface ConnectedData {
  connectionId: string
  userId: string
  tenantId: string
  instanceId: string
  protocolVersion: number
  heartbeatIntervalMs: number
  limits: {
    maxMessageBytes: number
    messagesPerSecond: number
    burst: number
  }
}

export interface MemoryJson {
  id: string
  tenantId: string
  ownerId: string
  title: string | null
  content: string
  tags: string[]
  metadata: Record<string, unknown>
  visibility: 'private' | 'team'
  version: number
  embedding: {
    status: 'pending' | 'ready' | 'failed'
    model: string | null
    dimensions: number | null
  }
  createdAt: string
  updatedAt: string
}

/** Memory events carry the tenant's event-log `seq`; the same event has the same `id` everywhere. */
export interface EventFrame<Type extends string, Data> extends Frame<Type, Data> {
  seq: number
}

export type MemoryCreatedFrame = EventFrame<'memory.created', { memory: MemoryJson }>
export type MemoryUpdatedFrame = EventFrame<'memory.updated', { memory: MemoryJson }>
export type MemoryDeletedFrame = EventFrame<'memory.deleted', { memoryId: string }>
export type EmbeddingCompleteFrame = EventFrame<
  'memory.embedding_complete',
  { memoryId: string; model: string; dimensions: number }
>
export type MemoryFrame =
  | MemoryCreatedFrame
  | MemoryUpdatedFrame
  | MemoryDeletedFrame
  | EmbeddingCompleteFrame

/** Presence is not in the event log, so presence frames carry no `seq`. */
export type UserJoinedFrame = Frame<'tenant.user_joined', { userId: string; name?: string }>
export type UserLeftFrame = Frame<'tenant.user_left', { userId: string; name?: string }>

export interface OnlineUser {
  userId: string
  name?: string
}

export interface HistoryData {
  /** Memory event frames, oldest first, as they were delivered live. */
  events: MemoryFrame[]
  /** The log's epoch, and the seq the next page starts after (pass it as `since`). */
  epoch: string
  seq: number
  hasMore: boolean
}

export type ServerFrame =
  | Frame<'connected', ConnectedData>
  | Frame<'presence', { users: OnlineUser[] }>
  | Frame<'history', HistoryData>
  | Frame<'subscribed', { channel: Channel; seq: number; epoch?: string; replayed?: number }>
  | Frame<'unsubscribed', { channel: Channel }>
  | Frame<'pong', Record<string, never>>
  | Frame<'error', { code: ErrorCode; message: string }>
  | MemoryFrame
  | UserJoinedFrame
  | UserLeftFrame

export type ServerFrameType = ServerFrame['type']
