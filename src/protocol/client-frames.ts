// Frames a client sends, as schemas: the server validates every frame against them and the SDKs take
// their types from them. Each frame is `{id, type, timestamp, data}`; the server answers a request
// with a frame that carries the same `id`.
import { type Static, Type as T } from '@sinclair/typebox'
import { CHANNELS } from './codes.ts'

/** A position in a tenant's event log. */
export const seq = (description?: string) =>
  T.Integer({
    minimum: 0,
    maximum: Number.MAX_SAFE_INTEGER,
    ...(description ? { description } : {}),
  })
export const ChannelName = T.Union(CHANNELS.map((c) => T.Literal(c)))

/** `id` and `timestamp` may be left out; a missing `id` gets an answer with a new one. */
const clientFrame = <K extends string, D extends Parameters<typeof T.Optional>[0]>(
  type: K,
  data: D,
) =>
  T.Object({
    id: T.Optional(T.String({ minLength: 1, maxLength: 128 })),
    type: T.Literal(type),
    timestamp: T.Optional(T.String({ maxLength: 64 })),
    data,
  })
const noData = T.Optional(T.Unknown({ description: 'Ignored' }))

export const SubscribeData = T.Object({
  channel: ChannelName,
  since: T.Optional(
    seq('memories only: resume after this position; missed events are replayed first.'),
  ),
  epoch: T.Optional(
    T.String({
      minLength: 1,
      maxLength: 64,
      description:
        'The log the position belongs to (`subscribed.epoch`); another log answers resume_unavailable.',
    }),
  ),
})
export type SubscribeData = Static<typeof SubscribeData>

export const HistoryRequestData = T.Object({
  since: seq('Events after this position, oldest first.'),
  limit: T.Optional(
    T.Integer({ minimum: 1, maximum: 1000, description: 'At most this many (default 100).' }),
  ),
})
export type HistoryRequestData = Static<typeof HistoryRequestData>

export const SubscribeFrame = clientFrame('subscribe', SubscribeData)
export type SubscribeFrame = Static<typeof SubscribeFrame>
export const UnsubscribeFrame = clientFrame('unsubscribe', T.Object({ channel: ChannelName }))
export type UnsubscribeFrame = Static<typeof UnsubscribeFrame>
/** Answered by `pong` (the server also pings at the WebSocket level). */
export const PingFrame = clientFrame('ping', noData)
export type PingFrame = Static<typeof PingFrame>
/** Who is online in the caller's tenant, on every instance; answered by a `presence` frame. */
export const PresenceRequestFrame = clientFrame('presence', noData)
export type PresenceRequestFrame = Static<typeof PresenceRequestFrame>
/** Events after `since` this user may see, from the log; answered by a `history` frame. */
export const HistoryRequestFrame = clientFrame('history', HistoryRequestData)
export type HistoryRequestFrame = Static<typeof HistoryRequestFrame>

export const ClientFrame = T.Union([
  SubscribeFrame,
  UnsubscribeFrame,
  PingFrame,
  PresenceRequestFrame,
  HistoryRequestFrame,
])
export type ClientFrame = Static<typeof ClientFrame>
