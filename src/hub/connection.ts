// What the hub keeps per WebSocket (Bun's ws.data): who it is, what it subscribed to, its budgets.
import type { ServerWebSocket } from 'bun'
import type { Principal } from '../auth/principal.ts'
import type { ErrorCode } from '../protocol/codes.ts'
import type { Channel, ServerFrameData, ServerFrameType } from '../protocol/frames.ts'
import type { TokenBucket } from './rate-limit.ts'

export interface ConnectionData {
  id: string
  principal: Principal
  channels: Set<Channel>
  /** performance.now() when the socket opened. */
  openedAt: number
  /** performance.now() of the last message or pong from the client. */
  lastSeen: number
  bucket: TokenBucket
  /** Rate-limit violations so far; past the allowance the connection is closed with 1008. */
  violations: number
  /** Closes the socket when its JWT expires. */
  expiryTimer?: ReturnType<typeof setTimeout>
  isClosing: boolean
  /** True while this socket holds a watch on its tenant's ordered event feed. */
  isWatching: boolean
}

export type Socket = ServerWebSocket<ConnectionData>

/** Sends one frame of the contract to a socket (counted; dropped once the socket is closing). */
export type SendFrame = <K extends ServerFrameType>(
  ws: Socket,
  type: K,
  data: ServerFrameData<K>,
  id?: string,
) => void
export type SendError = (ws: Socket, code: ErrorCode, message: string, id?: string) => void
