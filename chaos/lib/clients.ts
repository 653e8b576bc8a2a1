// Clients of a chaos scenario: half on our SDK (PuoMemoWebSocket: backoff with jitter, resume, dedupe
// by id), half raw sockets that resume by hand and keep every frame, so that duplicates on the wire
// are seen. Each records the ids of the memory events it received, when it dialled and when it was
// last resumed.
import { PuoMemoWebSocket, type WebSocketClass } from '../../src/client/puo-memo-websocket.ts'

export interface Client {
  kind: 'sdk' | 'raw'
  tenant: string
  user: string
  /** seq the first subscription started after: events after it are owed to this client. */
  startSeq: number | undefined
  /** Event id → seq, of every memory event received (once). */
  received: Map<string, number>
  /** Raw clients: frames received again (the same id). SDK clients: events the SDK emitted twice. */
  duplicates: number
  /** Wall ms of every connection attempt (the moment the client opened a socket). */
  dialedAt: number[]
  /** Wall ms of every completed (re)subscription. */
  subscribedAt: number[]
  /** Wall ms and commit ms of each event as it arrived (for latency). */
  latencies: number[]
  close(): void
}

const EVENT_TYPES = [
  'memory.created',
  'memory.updated',
  'memory.deleted',
  'memory.embedding_complete',
] as const

interface EventFrame {
  id: string
  type: string
  seq?: number
  timestamp?: string
  data: { seq?: number; channel?: string }
}

export function sdkClient(url: string, tenant: string, user: string, token: string): Client {
  const c = baseClient('sdk', tenant, user)
  // The SDK's own backoff (first ceiling 500 ms), as applications get it; capped at 5 s here.
  class Dialling extends WebSocket {
    constructor(url: string) {
      super(url)
      c.dialedAt.push(Date.now())
    }
  }
  const sdk = new PuoMemoWebSocket(token, {
    url,
    reconnect: { maxMs: 5000 },
    WebSocket: Dialling as unknown as WebSocketClass,
  })
  for (const type of EVENT_TYPES) {
    sdk.on(type, (_data, frame) => record(c, frame))
  }
  sdk.on('subscribed', (data: { channel: string; seq: number }) => {
    if (data.channel !== 'memories') return
    c.startSeq ??= data.seq
    c.subscribedAt.push(Date.now())
  })
  void sdk.connect().catch(() => {})
  c.close = () => sdk.disconnect()
  return c
}

export function rawClient(url: string, tenant: string, user: string, token: string): Client {
  const c = baseClient('raw', tenant, user)
  let lastSeq = 0
  let ws: WebSocket | undefined
  let isClosing = false
  const open = () => {
    if (isClosing) return
    ws = new WebSocket(`${url}?token=${token}`)
    c.dialedAt.push(Date.now())
    ws.onmessage = (e) => {
      const frame = JSON.parse(String(e.data)) as EventFrame
      if (frame.type === 'connected') {
        const since = c.startSeq === undefined ? {} : { since: lastSeq }
        // A frame may arrive while the socket is already closing: sending then would throw.
        if (ws?.readyState === WebSocket.OPEN)
          ws.send(
            JSON.stringify({ id: 's', type: 'subscribe', data: { channel: 'memories', ...since } }),
          )
      } else if (frame.type === 'subscribed' && frame.data.channel === 'memories') {
        c.startSeq ??= frame.data.seq
        lastSeq = Math.max(lastSeq, frame.data.seq ?? 0)
        c.subscribedAt.push(Date.now())
      } else if (frame.seq !== undefined) {
        lastSeq = Math.max(lastSeq, frame.seq)
        record(c, frame)
      }
    }
    ws.onclose = (e) => {
      if (isClosing) return
      let delay = 200 + Math.random() * 1000
      try {
        const hint = Number((JSON.parse(e.reason) as { retryAfterMs?: number }).retryAfterMs)
        if (Number.isFinite(hint) && hint >= 0) delay = hint
      } catch {}
      setTimeout(open, delay)
    }
  }
  open()
  c.close = () => {
    isClosing = true
    ws?.close()
  }
  return c
}

function baseClient(kind: Client['kind'], tenant: string, user: string): Client {
  return {
    kind,
    tenant,
    user,
    startSeq: undefined,
    received: new Map(),
    duplicates: 0,
    dialedAt: [],
    subscribedAt: [],
    latencies: [],
    close: () => {},
  }
}

function record(c: Client, frame: Pick<EventFrame, 'id' | 'type' | 'seq' | 'timestamp'>): void {
  if (c.received.has(frame.id)) {
    c.duplicates++
    return
  }
  c.received.set(frame.id, frame.seq ?? 0)
  if (frame.type === 'memory.created' && frame.timestamp) {
    c.latencies.push(Date.now() - Date.parse(frame.timestamp))
  }
}
