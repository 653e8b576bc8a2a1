// Finds a WebSocket class: the one given, the platform's (browsers, Bun, Node ≥ 22), or, on Node 20,
// the `ws` package when the app has it installed. Without any, construction fails with a clear error.
import type { WebSocketClass } from './puo-memo-websocket.ts'

interface NodeProcess {
  versions?: { node?: string }
  getBuiltinModule?: (name: string) => unknown
  cwd?: () => string
}

export function findWebSocketClass(given: WebSocketClass | undefined): WebSocketClass {
  if (given) return given
  const platform = (globalThis as { WebSocket?: WebSocketClass }).WebSocket
  if (platform) return platform
  const proc = (globalThis as { process?: NodeProcess }).process
  const nodeModule = proc?.getBuiltinModule?.('node:module') as
    | { createRequire(from: string): (id: string) => unknown }
    | undefined
  if (nodeModule && proc?.cwd) {
    try {
      // Resolved from the app's own folder, where `npm install ws` put it.
      const ws = nodeModule.createRequire(`${proc.cwd()}/`)('ws') as
        | WebSocketClass
        | { WebSocket?: WebSocketClass; default?: WebSocketClass }
      const found = typeof ws === 'function' ? ws : (ws.WebSocket ?? ws.default)
      if (found) return found
    } catch {}
  }
  throw new Error(
    proc?.versions?.node
      ? `No WebSocket in Node ${proc.versions.node}: run "npm install ws" (it is found automatically), pass { WebSocket } in the options, or use Node 22 or later`
      : 'No WebSocket class here: pass { WebSocket } in the options',
  )
}
