// Refusals a browser can read. A WebSocket client in a browser never sees the status of a refused
// upgrade (a 401 looks like a network error), so a client that asks with `auth_errors=close` gets its
// upgrade accepted and the socket closed at once with 4401 and the reason: terminal, do not retry.
import type { ServerWebSocket, WebSocketHandler } from 'bun'
import type { ConnectionData } from './connection.ts'

export interface RefusedSocket {
  refusal: { code: number; reason: string }
}

export type SocketData = ConnectionData | RefusedSocket

export const wantsCloseRefusal = (url: URL): boolean =>
  url.searchParams.get('auth_errors') === 'close'

const isRefused = (ws: ServerWebSocket<SocketData>): ws is ServerWebSocket<RefusedSocket> =>
  'refusal' in ws.data

/** The hub's handlers for accepted sockets; refused ones are closed on open and touch nothing else. */
export function withRefusals(hub: WebSocketHandler<ConnectionData>): WebSocketHandler<SocketData> {
  const accepted = (ws: ServerWebSocket<SocketData>) => ws as ServerWebSocket<ConnectionData>
  return {
    open(ws) {
      if (isRefused(ws)) return ws.close(ws.data.refusal.code, ws.data.refusal.reason)
      hub.open?.(accepted(ws))
    },
    message(ws, message) {
      if (!isRefused(ws)) return hub.message?.(accepted(ws), message)
    },
    pong(ws, data) {
      if (!isRefused(ws)) hub.pong?.(accepted(ws), data)
    },
    drain(ws) {
      if (!isRefused(ws)) hub.drain?.(accepted(ws))
    },
    close(ws, code, reason) {
      if (!isRefused(ws)) hub.close?.(accepted(ws), code, reason)
    },
  }
}
