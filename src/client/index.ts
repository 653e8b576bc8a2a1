// The PUO Memo client SDK (browsers, Bun, Node ≥ 20): `import { PuoMemoWebSocket } from '@puo-memo/client'`.
export { CloseCode, ErrorCode, isTerminalClose } from '../protocol/codes.ts'
export type {
  Channel,
  HistoryData,
  MemoryJson,
  OnlineUser,
  ServerFrame,
} from '../protocol/frames.ts'
export { type BackoffOptions, backoffDelay } from './backoff.ts'
export type { PuoMemoEvent, PuoMemoEvents, PuoMemoHandler } from './events.ts'
export { OfflineQueue, type OfflineQueueOptions } from './offline-queue.ts'
export {
  type ConnectionState,
  type PuoMemoOptions,
  PuoMemoWebSocket,
  type StateCause,
  type TokenSource,
  type WebSocketClass,
  type WebSocketLike,
} from './puo-memo-websocket.ts'
