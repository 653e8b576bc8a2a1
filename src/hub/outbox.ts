// Frames out of this instance, counted per tenant and type (per frame, never per socket): to one
// socket, to a Bun topic, or to one user's sockets.
import type { Server } from 'bun'
import { encodeFrame } from '../protocol/encode.ts'
import type { Instruments } from '../telemetry/instruments.ts'
import type { ConnectionData, SendError, SendFrame, Socket } from './connection.ts'
import type { Registry } from './registry.ts'

export interface OutboxOptions {
  registry: Registry
  instruments: Instruments
}

export function createOutbox(opts: OutboxOptions) {
  const { registry } = opts
  const m = opts.instruments
  let server: Server<ConnectionData> | undefined

  /** Counts one frame handed to `n` sockets of a tenant. */
  function counted(tenantId: string, n: number, type: string, frame: string): number {
    if (n === 0) return 0
    const bytes = Buffer.byteLength(frame)
    registry.countSent(tenantId, n, bytes)
    m.messagesSent.add(n, { 'message.type': type })
    m.bytesSent.add(n * bytes)
    return n
  }

  /** Sends one encoded frame to one socket (dropped once the socket is closing). */
  function sendRaw(ws: Socket, frame: string, type: string): void {
    if (ws.data.isClosing) return
    ws.send(frame)
    counted(ws.data.principal.tenantId, 1, type, frame)
  }

  const send: SendFrame = (ws, type, data, id) => sendRaw(ws, encodeFrame(type, data, id), type)

  const sendError: SendError = (ws, code, message, id) => {
    m.errorFrames.add(1, { 'error.code': code })
    send(ws, 'error', { code, message }, id)
  }

  return {
    /** The Bun server whose topics `publish` reaches (set once it listens). */
    attach(s: Server<ConnectionData>): void {
      server = s
    },
    send,
    sendError,
    sendRaw,
    /** Publishes to a topic if anyone here listens; returns how many sockets it reached. */
    publish(tenantId: string, topic: string, frame: string, type: string): number {
      const n = server?.subscriberCount(topic) ?? 0
      if (n > 0) server?.publish(topic, frame)
      return counted(tenantId, n, type, frame)
    },
    /**
     * Sends a frame to each of the user's live sockets here (a user has a few; a Bun topic per user
     * would cost every idle socket half a kilobyte); returns how many it reached.
     */
    sendToUser(tenantId: string, userId: string, frame: string, type: string): number {
      let n = 0
      for (const ws of registry.liveSockets(tenantId, userId)) {
        if (ws.data.isClosing) continue
        ws.send(frame)
        n++
      }
      return counted(tenantId, n, type, frame)
    },
  }
}

export type Outbox = ReturnType<typeof createOutbox>
