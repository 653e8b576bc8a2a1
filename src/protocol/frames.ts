// The protocol's types by frame type, derived from the schemas (client-frames.ts, server-frames.ts).
// The SDK imports this module's types only.
import type { ClientFrame } from './client-frames.ts'
import type { MemoryFrame, ServerFrame } from './server-frames.ts'

export type {
  ClientFrame,
  HistoryRequestData,
  SubscribeData,
} from './client-frames.ts'
export type { Channel } from './codes.ts'
export type { MemoryJson, Visibility } from './memory.ts'
export type {
  ConnectedData,
  EmbeddingCompleteFrame,
  ErrorData,
  HistoryData,
  MemoryCreatedFrame,
  MemoryDeletedFrame,
  MemoryFrame,
  MemoryUpdatedFrame,
  OnlineUser,
  ServerFrame,
  SubscribedData,
} from './server-frames.ts'

export type ServerFrameType = ServerFrame['type']
/** The `data` of the server frame of this type. */
export type ServerFrameData<K extends ServerFrameType> = Extract<ServerFrame, { type: K }>['data']
export type MemoryEventType = MemoryFrame['type']

export type ClientFrameType = ClientFrame['type']
/** The `data` of the client frame of this type. */
export type ClientFrameData<K extends ClientFrameType> = Extract<ClientFrame, { type: K }>['data']
