// What the hub asks of a channel's module: each socket's subscribe and unsubscribe, and its close.
import type { SubscribeData } from '../../protocol/client-frames.ts'
import type { Socket } from '../connection.ts'

/** Where a `memories` subscription resumes from; other channels ignore it. */
export type Position = Omit<SubscribeData, 'channel'>

export interface ChannelModule {
  /** Answers `subscribed` (or an error frame) to request `id`, now or once the channel is ready. */
  subscribe(ws: Socket, position: Position, id: string | undefined): void
  /** Answers `unsubscribed`, subscribed or not. */
  unsubscribe(ws: Socket, id: string | undefined): void
  /** The socket closed: drop what the channel holds for it. */
  release(ws: Socket): void
}
