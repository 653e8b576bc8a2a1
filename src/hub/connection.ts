// What the hub keeps per WebSocket (Bun's ws.data): who it is, what it subscribed to, its budgets.
import type { ServerWebSocket } from 'bun'
import type { Principal } from '../auth/principal.ts'
import type { ErrorCode } from '../protocol/codes.ts'
import type { Channel, ServerFrameData, ServerFrameType } from '../protocol/frames.ts'
import type { TokenBucket } from './rate-limit.ts'

/** The socket's message budget (a token bucket) is kept in these fields, not in an object of its own. */
export interface ConnectionData extends TokenBucket {
  id: string
  principal: Principal
  /** The channels subscribed to, as bits (see hasChannel); a Set per socket cost more than the rest. */
  channels: number
  /** performance.now() when the socket opened. */
  openedAt: number
  /** performance.now() of the last message or pong from the client. */
  lastSeen: number
  /** Rate-limit violations so far; past the allowance the connection is closed with 1008. */
  violations: number
  isClosing: boolean
  /** The close code this side sent (0 until it sends one): what the client saw, whatever Bun reports. */
  sentCloseCode: number
  sentCloseReason: string
  /** True while the token-expiry timer counts this socket. */
  hasExpiryTracked: boolean
  /** True while this socket holds a watch on its tenant's ordered event feed. */
  isWatching: boolean
}

export type Socket = ServerWebSocket<ConnectionData>

const CHANNEL_BITS: Record<Channel, number> = { memories: 1, tenant: 2 }

export const hasChannel = (ws: Socket, channel: Channel): boolean =>
  (ws.data.channels & CHANNEL_BITS[channel]) !== 0

/** Marks the socket subscribed; false when it already was. */
export function addChannel(ws: Socket, channel: Channel): boolean {
  if (hasChannel(ws, channel)) return false
  ws.data.channels |= CHANNEL_BITS[channel]
  return true
}

/** Marks the socket unsubscribed; false when it was not subscribed. */
export function dropChannel(ws: Socket, channel: Channel): boolean {
  if (!hasChannel(ws, channel)) return false
  ws.data.channels &= ~CHANNEL_BITS[channel]
  return true
}

export const channelsOf = (ws: Socket): Channel[] =>
  (Object.keys(CHANNEL_BITS) as Channel[]).filter((c) => hasChannel(ws, c))

/** Sends one frame of the contract to a socket (counted; dropped once the socket is closing). */
export type SendFrame = <K extends ServerFrameType>(
  ws: Socket,
  type: K,
  data: ServerFrameData<K>,
  id?: string,
) => void
export type SendError = (ws: Socket, code: ErrorCode, message: string, id?: string) => void
