// usePuoMemoWebSocket: the React hook. One shared connection per token across components; closed when
// the last component using it unmounts. React is a peer dependency.
import { useEffect, useRef, useState } from 'react'
import {
  type ConnectionState,
  type PuoMemoOptions,
  PuoMemoWebSocket,
  type TokenSource,
} from './puo-memo-websocket.ts'

// biome-ignore lint/suspicious/noExplicitAny: event payloads differ per event; callers annotate them
type Callback = (data: any, frame: any) => void

export interface UsePuoMemoOptions extends PuoMemoOptions {
  token: TokenSource
  onMemoryCreated?: Callback
  onMemoryUpdated?: Callback
  onMemoryDeleted?: Callback
  onEmbeddingComplete?: Callback
  onUserJoined?: Callback
  onUserLeft?: Callback
  /** The server said the resume position is gone: refetch your data. */
  onResync?: Callback
  onError?: Callback
}

const EVENTS = {
  'memory.created': 'onMemoryCreated',
  'memory.updated': 'onMemoryUpdated',
  'memory.deleted': 'onMemoryDeleted',
  'memory.embedding_complete': 'onEmbeddingComplete',
  'tenant.user_joined': 'onUserJoined',
  'tenant.user_left': 'onUserLeft',
  resync: 'onResync',
  error: 'onError',
} as const

const shared = new Map<TokenSource, { client: PuoMemoWebSocket; users: number }>()

function acquire(token: TokenSource, opts: PuoMemoOptions): PuoMemoWebSocket {
  const entry = shared.get(token)
  if (entry) {
    entry.users++
    return entry.client
  }
  const client = new PuoMemoWebSocket(token, opts)
  shared.set(token, { client, users: 1 })
  void client.connect()
  return client
}

function release(token: TokenSource): void {
  const entry = shared.get(token)
  if (!entry || --entry.users > 0) return
  shared.delete(token)
  entry.client.disconnect()
}

function clientOptionsOf(o: UsePuoMemoOptions): PuoMemoOptions {
  const { url, WebSocket, channels, reconnect, pingIntervalMs, watchdogMs, offlineQueue } = o
  const picked = { url, WebSocket, channels, reconnect, pingIntervalMs, watchdogMs, offlineQueue }
  return Object.fromEntries(
    Object.entries(picked).filter(([, v]) => v !== undefined),
  ) as PuoMemoOptions
}

export function usePuoMemoWebSocket(options: UsePuoMemoOptions) {
  const { token } = options
  const latest = useRef(options)
  latest.current = options
  const [state, setState] = useState<ConnectionState>('connecting')
  const [client, setClient] = useState<PuoMemoWebSocket | undefined>()

  useEffect(() => {
    const c = acquire(token, clientOptionsOf(latest.current))
    setClient(c)
    setState(c.state)
    const offs = [c.on('state', (s: ConnectionState) => setState(s))]
    for (const [event, prop] of Object.entries(EVENTS)) {
      offs.push(c.on(event, (data, frame) => latest.current[prop]?.(data, frame)))
    }
    return () => {
      for (const off of offs) off()
      release(token)
    }
  }, [token])

  return { isConnected: state === 'open', state, client }
}
