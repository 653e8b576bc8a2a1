// Server-side validation of client frames (TypeBox, compiled once). The SDK uses protocol/ types only.
import { Type as T } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { CHANNELS, CLIENT_FRAME_TYPES } from '../protocol/frames.ts'

const Id = T.String({ minLength: 1, maxLength: 128 })
const Envelope = {
  id: T.Optional(Id),
  timestamp: T.Optional(T.String({ maxLength: 64 })),
}

const ChannelData = T.Object({ channel: T.String({ maxLength: 64 }) })
const SubscribeData = T.Object({
  channel: T.String({ maxLength: 64 }),
  since: T.Optional(T.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER })),
  epoch: T.Optional(T.String({ minLength: 1, maxLength: 64 })),
})

export const ClientFrameSchema = T.Union([
  T.Object({ ...Envelope, type: T.Literal('subscribe'), data: SubscribeData }),
  T.Object({ ...Envelope, type: T.Literal('unsubscribe'), data: ChannelData }),
  T.Object({ ...Envelope, type: T.Literal('ping'), data: T.Optional(T.Unknown()) }),
  T.Object({ ...Envelope, type: T.Literal('presence'), data: T.Optional(T.Unknown()) }),
  T.Object({
    ...Envelope,
    type: T.Literal('history'),
    data: T.Object({
      since: T.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
      limit: T.Optional(T.Integer({ minimum: 1, maximum: 1000 })),
    }),
  }),
])

export const clientFrameCheck = TypeCompiler.Compile(ClientFrameSchema)

export const isKnownType = (type: unknown): boolean =>
  typeof type === 'string' && (CLIENT_FRAME_TYPES as readonly string[]).includes(type)

export const isChannel = (channel: string): channel is (typeof CHANNELS)[number] =>
  (CHANNELS as readonly string[]).includes(channel)
