// What `on()` accepts: every server frame type with its data, and the client's own events. A
// misspelled event name or data field is a compile error in the app.
import type { ErrorCode } from '../protocol/codes.ts'
import type { ServerFrame } from '../protocol/frames.ts'
import type { ConnectionState, StateCause } from './puo-memo-websocket.ts'

type ServerEvents = { [F in ServerFrame as F['type']]: [data: F['data'], frame: F] }

interface ClientEvents {
  /** The connection state changed; the cause says why (close code and reason, or an error). */
  state: [state: ConnectionState, cause: StateCause]
  /** A problem that did not stop the client (also exceptions thrown by the app's own handlers). */
  error: [error: unknown]
  /** The resume position is gone (log pruned, reset or restored): refetch, the feed starts afresh. */
  resync: [data: { code: ErrorCode; message: string }]
  /** A terminal close (4400–4499): the client stopped. */
  closed: [data: { code: number; reason: string }]
  /** A fixed token expired or was refused: the client stopped. */
  auth_failed: [data: { reason: string }]
  /** Every frame received, once, before its own type's handlers. */
  frame: [frame: ServerFrame]
}

/** Event name → the arguments its handlers receive. */
export type PuoMemoEvents = Omit<ServerEvents, keyof ClientEvents> & ClientEvents
export type PuoMemoEvent = keyof PuoMemoEvents
export type PuoMemoHandler<K extends PuoMemoEvent> = (...args: PuoMemoEvents[K]) => void
