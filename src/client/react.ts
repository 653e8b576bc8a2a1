// usePuoMemoWebSocket: the React hook. One shared connection per token across components; closed when
// the last component using it unmounts. React is a peer dependency.
import { useEffect, useRef, useState } from 'react'
import type { PuoMemoHandler } from './events.ts'
import {
  type ConnectionState,
  type PuoMemoOptions,
  PuoMemoWebSocket,
  type TokenSource,
} from './puo-memo-websocket.ts'

export interface UsePuoMemoOptions extends PuoMemoOptions {
  token: TokenSource
  onMemoryCreated?: PuoMemoHandler<'memory.created'>
  onMemoryUpdated?: PuoMemoHandler<'memory.updated'>
  onMemoryDeleted?: PuoMemoHandler<'memory.deleted'>
  onEmbeddingComplete?: PuoMemoHandler<'memory.embedding_complete'>
  onUserJoined?: PuoMemoHandler<'tenant.user_joined'>
  onUserLeft?: PuoMemoHandler<'tenant.user_left'>
  /** The server said the resume position is gone: refetch your data. */
  onResync?: PuoMemoHandler<'resync'>
  onError?: PuoMemoHandler<'error'>
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
type Prop = (typeof EVENTS)[keyof typeof EVENTS]

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

/**
 * Closes the connection once no component uses it — on the next task, not at once: StrictMode (and a
 * quick unmount/mount) releases and acquires again in one go, and that must keep the same socket.
 */
function release(token: TokenSource): void {
  const entry = shared.get(token)
  if (!entry) return
  entry.users--
  setTimeout(() => {
    if (entry.users > 0 || shared.get(token) !== entry) return
    shared.delete(token)
    entry.client.disconnect()
  }, 0)
}

function clientOptionsOf(o: UsePuoMemoOptions): PuoMemoOptions {
  const { url, WebSocket, channels, reconnect, pingIntervalMs, watchdogMs, offlineQueue } = o
  const picked = { url, WebSocket, channels, reconnect, pingIntervalMs, watchdogMs, offlineQueue }
  return Object.fromEntries(
    Object.entries(picked).filter(([, v]) => v !== undefined),
  ) as PuoMemoOptions
}

/**
 * Options may be written inline: they are read at connect time and on each event, never compared.
 * Components passing the same token string share one connection; a `{ getToken }` source (inline or
 * not) gets one connection per component, and its newest `getToken` is the one called. Each
 * component's callbacks are its own, also on a shared connection.
 */
export function usePuoMemoWebSocket(options: UsePuoMemoOptions) {
  const latest = useRef(options)
  latest.current = options
  const source = useRef<TokenSource | undefined>(undefined)
  if (typeof options.token !== 'string' && typeof source.current !== 'object') {
    source.current = {
      getToken: () => {
        const t = latest.current.token
        return typeof t === 'string' ? t : t.getToken()
      },
    }
  }
  const key: TokenSource =
    typeof options.token === 'string' ? options.token : (source.current as TokenSource)
  const [state, setState] = useState<ConnectionState>('connecting')
  const [client, setClient] = useState<PuoMemoWebSocket | undefined>()

  useEffect(() => {
    const c = acquire(key, clientOptionsOf(latest.current))
    setClient(c)
    setState(c.state)
    const offs = [c.on('state', (s: ConnectionState) => setState(s))]
    for (const [event, prop] of Object.entries(EVENTS) as [keyof typeof EVENTS, Prop][]) {
      // Each callback is read when its event fires, so a re-render's new callbacks take effect.
      const relay = (...args: unknown[]) =>
        (latest.current[prop] as ((...a: unknown[]) => void) | undefined)?.(...args)
      offs.push(c.on(event, relay as PuoMemoHandler<typeof event>))
    }
    return () => {
      for (const off of offs) off()
      release(key)
    }
  }, [key])

  return { isConnected: state === 'open', state, client }
}
