// PuoMemoWebSocket: the PUO Memo real-time client for browsers, Bun and Node (give it a WebSocket class).
// Reconnects with jittered backoff, refreshes its token first, resumes from the last seq, dedupes by id.
import { CloseCode, ErrorCode, isTerminalClose } from '../protocol/codes.ts'
import type {
  Channel,
  ClientFrameData,
  ClientFrameType,
  HistoryData,
  OnlineUser,
  ServerFrame,
  ServerFrameData,
} from '../protocol/frames.ts'
import { type BackoffOptions, backoffDelay } from './backoff.ts'
import type { PuoMemoEvent, PuoMemoHandler } from './events.ts'
import { OfflineQueue, type OfflineQueueOptions } from './offline-queue.ts'
import { findWebSocketClass } from './websocket-class.ts'

/** A frame's data is optional where the protocol lets it be left out (ping, presence). */
type DataArgument<K extends ClientFrameType> =
  undefined extends ClientFrameData<K> ? [data?: ClientFrameData<K>] : [data: ClientFrameData<K>]

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed'
/** Why the state changed, passed as the second argument of `state` handlers (empty when opening). */
export interface StateCause {
  /** Close code and reason of the connection that ended. */
  code?: number
  reason?: string
  /** The failure (e.g. of getToken) that prevented a connection. */
  error?: unknown
}
export type TokenSource = string | { getToken: () => string | Promise<string> }

/** The subset of the WebSocket API the client uses (browser, Bun, or the `ws` package). */
export interface WebSocketLike {
  readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  onopen: ((ev: unknown) => void) | null
  onmessage: ((ev: { data: unknown }) => void) | null
  onclose: ((ev: { code: number; reason: string }) => void) | null
  onerror: ((ev: unknown) => void) | null
}
export type WebSocketClass = new (url: string) => WebSocketLike

export interface PuoMemoOptions {
  /**
   * ws(s)://host/api/v4/ws. Defaults to the page's host in a browser; elsewhere to the environment's
   * PUO_MEMO_URL, else ws://localhost:3000/api/v4/ws.
   */
  url?: string
  /** Defaults to globalThis.WebSocket. */
  WebSocket?: WebSocketClass
  /** Channels subscribed on every (re)connect (default ["memories"]). */
  channels?: Channel[]
  reconnect?: BackoffOptions & { enabled?: boolean }
  /** Client pings this often so a dead link is noticed (default 25,000 ms). */
  pingIntervalMs?: number
  /** Reconnect when nothing at all arrived for this long (default 2 × ping interval + 5 s). */
  watchdogMs?: number
  offlineQueue?: OfflineQueueOptions
}

/** Stored handlers take what emit() passes; on() is where their types are checked. */
type Handler = (data: unknown, frame: unknown) => void

const OPEN = 1

export class PuoMemoWebSocket {
  state: ConnectionState = 'idle'
  /**
   * Highest seq received on the memories channel: the resume position. It advances only with an event
   * received or with `subscribed`, which the server sends after the replay it answers with, so it can
   * never run ahead of what was delivered.
   */
  lastSeq: number | undefined
  /** The event log `lastSeq` belongs to; a resume into another log answers resume_unavailable. */
  epoch: string | undefined
  private ws: WebSocketLike | undefined
  private readonly handlers = new Map<string, Set<Handler>>()
  private readonly seen = new Set<string>()
  private readonly queue: OfflineQueue<string>
  private readonly channels: Set<Channel>
  private attempt = 0
  private wanted = false
  private retryTimer: ReturnType<typeof setTimeout> | undefined
  private pingTimer: ReturnType<typeof setInterval> | undefined
  private lastHeard = 0
  /** Expiry (ms) of the current connection's token, when it is a JWT. */
  private tokenExp: number | undefined
  private refreshTimer: ReturnType<typeof setTimeout> | undefined
  /** The socket opened to take over before the token expires (see armRefresh). */
  private handover: WebSocketLike | undefined
  private handoverExp: number | undefined
  private readonly pending = new Map<
    string,
    { resolve(data: unknown): void; reject(err: Error): void; timer: ReturnType<typeof setTimeout> }
  >()

  private readonly WebSocketCtor: WebSocketClass

  /** Throws at once when no WebSocket class can be found (Node 20 without the `ws` package). */
  constructor(
    private readonly token: TokenSource,
    private readonly opts: PuoMemoOptions = {},
  ) {
    this.channels = new Set(opts.channels ?? ['memories'])
    this.queue = new OfflineQueue(opts.offlineQueue)
    this.WebSocketCtor = findWebSocketClass(opts.WebSocket)
  }

  /**
   * Subscribe to a server frame type (`memory.created` …) or a client event: state, error, resync,
   * closed, auth_failed (a fixed token expired or was refused: no retry), and `frame` (every frame
   * received, once, before its own type's handlers).
   */
  on<K extends PuoMemoEvent>(type: K, handler: PuoMemoHandler<K>): () => void {
    const set = this.handlers.get(type) ?? new Set<Handler>()
    this.handlers.set(type, set)
    set.add(handler as unknown as Handler)
    return () => this.off(type, handler)
  }

  off<K extends PuoMemoEvent>(type: K, handler: PuoMemoHandler<K>): void {
    this.handlers.get(type)?.delete(handler as unknown as Handler)
  }

  /** Opens the connection (and keeps it open until disconnect()). Resolves once `connected` arrived. */
  connect(): Promise<void> {
    this.wanted = true
    return new Promise((resolve) => {
      const off = this.on('state', (s) => {
        if (s !== 'open') return
        off()
        resolve()
      })
      if (this.state === 'idle' || this.state === 'closed') void this.open()
    })
  }

  disconnect(): void {
    this.wanted = false
    clearTimeout(this.retryTimer)
    clearTimeout(this.refreshTimer)
    this.handover?.close(CloseCode.normal, 'client disconnect')
    this.handover = undefined
    this.stopPinging()
    this.ws?.close(CloseCode.normal, 'client disconnect')
    this.ws = undefined
    for (const [id, waiting] of this.pending) {
      clearTimeout(waiting.timer)
      waiting.reject(new Error('disconnected'))
      this.pending.delete(id)
    }
    this.setState('closed', { reason: 'client disconnect' })
  }

  subscribe(channel: Channel): void {
    this.channels.add(channel)
    this.send('subscribe', this.subscription(channel))
  }

  /** Memories resume from the last position seen; the first subscription has none. */
  private subscription(channel: Channel): { channel: Channel; since?: number; epoch?: string } {
    if (channel !== 'memories' || this.lastSeq === undefined) return { channel }
    return { channel, since: this.lastSeq, ...(this.epoch ? { epoch: this.epoch } : {}) }
  }

  /**
   * Who is online in the tenant now, on every instance. Subscribe to the `tenant` channel
   * (`channels: ['memories', 'tenant']`) for `tenant.user_joined` and `tenant.user_left` as it changes.
   */
  async presence(timeoutMs = 10_000): Promise<OnlineUser[]> {
    return (await this.request('presence', {}, timeoutMs)).users
  }

  /**
   * A page of the event log: the memory events after `since` this user may see, oldest first, for
   * apps that keep their state outside the socket. Page on with `since: page.seq` while `hasMore`.
   */
  history(opts: { since: number; limit?: number }, timeoutMs = 10_000): Promise<HistoryData> {
    return this.request('history', opts, timeoutMs)
  }

  /** Sends a request frame and resolves with its answer's data (an `error` answer rejects). */
  private request<K extends ClientFrameType & ServerFrame['type']>(
    type: K,
    data: ClientFrameData<K>,
    timeoutMs: number,
  ): Promise<ServerFrameData<K>> {
    return new Promise((resolve, reject) => {
      const id = this.send(type, ...([data] as DataArgument<K>))
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new Error(`${type} got no answer within ${timeoutMs} ms`))
      }, timeoutMs)
      this.pending.set(id, { resolve, reject, timer })
    })
  }

  unsubscribe(channel: Channel): void {
    this.channels.delete(channel)
    this.send('unsubscribe', { channel })
  }

  private frameOf<K extends ClientFrameType>(
    type: K,
    data: ClientFrameData<K>,
    id: string = newId(),
  ): string {
    return JSON.stringify({ id, type, timestamp: new Date().toISOString(), data })
  }

  /** Sends a frame now, or queues it until the connection is open again; returns the frame's id. */
  send<K extends ClientFrameType>(type: K, ...data: DataArgument<K>): string {
    const id = newId()
    const frame = this.frameOf(type, (data[0] ?? {}) as ClientFrameData<K>, id)
    if (this.ws?.readyState === OPEN && this.state === 'open') this.ws.send(frame)
    else if (this.queue.push(frame))
      this.emit('error', new Error('offline queue full: oldest message dropped'))
    return id
  }

  private async open(): Promise<void> {
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting')
    let token: string
    try {
      token = typeof this.token === 'string' ? this.token : await this.token.getToken()
    } catch (err) {
      this.emit('error', err)
      return this.scheduleReconnect(0, { error: err })
    }
    if (!this.wanted) return
    if (typeof this.token === 'string' && isExpired(token)) return this.authFailed('token expired')
    this.ws = this.dial(token)
    this.tokenExp = expiryOf(token)
  }

  /**
   * Opens a socket with `token` and watches it. auth_errors=close: a refused credential arrives as
   * close 4401 with its reason, which a browser can read (a 401 on the upgrade looks like any failure).
   */
  private dial(token: string): WebSocketLike {
    const ws = new this.WebSocketCtor(
      `${this.url()}?token=${encodeURIComponent(token)}&auth_errors=close`,
    )
    this.watch(ws)
    return ws
  }

  /** Frames of `ws` go to receive(); its close counts only while it is the current socket. */
  private watch(ws: WebSocketLike): void {
    ws.onmessage = (ev) => this.receive(String(ev.data), ws)
    ws.onerror = () => {}
    ws.onclose = (ev) => {
      if (this.handover === ws) this.handover = undefined
      if (this.ws !== ws) return
      this.ws = undefined
      this.stopPinging()
      clearTimeout(this.refreshTimer)
      // A renewal still under way is abandoned: the reconnect below starts from the position held.
      this.handover?.close(CloseCode.normal, 'connection lost')
      this.handover = undefined
      this.handleClose(ev.code, ev.reason)
    }
  }

  /**
   * With a token source, the connection is renewed before the token expires: a second socket opens
   * with a fresh token and resumes from the current position; once it is subscribed it takes over and
   * the old one closes. Events arriving on both meanwhile are deduplicated by id, so the app sees no
   * gap, no repeat and no state change. If the handover fails, the expiry close (4001) reconnects.
   */
  private armRefresh(): void {
    clearTimeout(this.refreshTimer)
    if (typeof this.token === 'string' || this.tokenExp === undefined) return
    const left = this.tokenExp - Date.now()
    const lead = Math.max(1000, Math.min(30_000, left / 5))
    this.refreshTimer = setTimeout(() => void this.renew(), Math.max(0, left - lead))
  }

  private async renew(): Promise<void> {
    if (!this.wanted || typeof this.token === 'string' || this.handover) return
    let token: string
    try {
      token = await this.token.getToken()
    } catch (err) {
      return this.emit('error', err)
    }
    if (!this.wanted || !this.ws) return
    this.handover = this.dial(token)
    this.handoverExp = expiryOf(token)
  }

  /** The handover socket is subscribed: it becomes the connection, and the old one is closed. */
  private promote(next: WebSocketLike): void {
    const old = this.ws
    this.ws = next
    this.handover = undefined
    this.tokenExp = this.handoverExp
    if (old) {
      old.onclose = null
      old.onmessage = null
      old.close(CloseCode.normal, 'token renewed')
    }
    this.armRefresh()
  }

  private receive(raw: string, from: WebSocketLike | undefined = this.ws): void {
    this.lastHeard = Date.now()
    let frame: ServerFrame
    try {
      frame = JSON.parse(raw) as ServerFrame
    } catch {
      return this.emit('error', new Error('received a frame that is not JSON'))
    }
    const isHandover = from !== undefined && from === this.handover
    if (frame.type === 'connected') {
      if (!isHandover) return this.onConnected()
      if (this.channels.size === 0) return this.promote(from)
      for (const channel of this.channels)
        from.send(this.frameOf('subscribe', this.subscription(channel)))
      return
    }
    // It takes over once it holds the memories feed (or, without that channel, any subscription).
    if (
      isHandover &&
      frame.type === 'subscribed' &&
      (frame.data.channel === 'memories' || !this.channels.has('memories'))
    ) {
      if (frame.data.channel === 'memories') {
        this.lastSeq = Math.max(this.lastSeq ?? 0, frame.data.seq)
      }
      return this.promote(from)
    }
    if (isHandover && (frame.type === 'subscribed' || frame.type === 'error')) return
    const waiting = this.pending.get(frame.id)
    if (
      waiting &&
      (frame.type === 'presence' || frame.type === 'history' || frame.type === 'error')
    ) {
      clearTimeout(waiting.timer)
      this.pending.delete(frame.id)
      if (frame.type === 'error') return waiting.reject(new Error(frame.data.message))
      return waiting.resolve(frame.data)
    }
    if (frame.type === 'error' && frame.data.code === ErrorCode.resumeUnavailable) {
      this.lastSeq = undefined
      this.epoch = undefined
      this.emit('resync', frame.data)
      this.send('subscribe', { channel: 'memories' })
      return
    }
    if (frame.type === 'subscribed' && frame.data.channel === 'memories') {
      this.lastSeq = Math.max(this.lastSeq ?? 0, frame.data.seq)
      if (frame.data.epoch) this.epoch = frame.data.epoch
    }
    const seq = (frame as { seq?: number }).seq
    if (seq !== undefined) {
      if (this.seen.has(frame.id)) return
      this.remember(frame.id)
      this.lastSeq = Math.max(this.lastSeq ?? 0, seq)
    }
    this.emit('frame', frame, frame)
    this.emit(frame.type, frame.data, frame)
  }

  private onConnected(): void {
    this.attempt = 0
    this.setState('open')
    for (const channel of this.channels) this.send('subscribe', this.subscription(channel))
    for (const frame of this.queue.drain()) this.ws?.send(frame)
    this.startPinging()
    this.armRefresh()
  }

  private handleClose(code: number, reason: string): void {
    if (!this.wanted) return this.setState('closed', { code, reason })
    // A fixed token cannot be renewed: retrying it would loop forever.
    if (code === CloseCode.tokenExpired && typeof this.token === 'string') {
      return this.authFailed('token expired')
    }
    if (code === CloseCode.authFailed) return this.authFailed(reason || 'credential refused')
    if (isTerminalClose(code)) {
      this.wanted = false
      this.setState('closed', { code, reason })
      return this.emit('closed', { code, reason })
    }
    let hint = 0
    if (code === CloseCode.serviceRestart || code === CloseCode.tryAgainLater) {
      try {
        hint = Number((JSON.parse(reason) as { retryAfterMs?: number }).retryAfterMs) || 0
      } catch {}
    }
    this.scheduleReconnect(hint, { code, reason })
  }

  /** The credential cannot work: end in `closed` with one `auth_failed` event, and no retry. */
  private authFailed(reason: string): void {
    this.wanted = false
    clearTimeout(this.retryTimer)
    this.stopPinging()
    this.setState('closed', { reason })
    this.emit('auth_failed', { reason })
  }

  private scheduleReconnect(minDelay = 0, cause: StateCause = {}): void {
    if (!this.wanted || this.opts.reconnect?.enabled === false)
      return this.setState('closed', cause)
    this.setState('reconnecting', cause)
    const delay = Math.max(minDelay, backoffDelay(this.attempt++, this.opts.reconnect))
    this.retryTimer = setTimeout(() => void this.open(), delay)
  }

  private startPinging(): void {
    const every = this.opts.pingIntervalMs ?? 25_000
    const watchdog = this.opts.watchdogMs ?? every * 2 + 5000
    this.lastHeard = Date.now()
    this.pingTimer = setInterval(
      () => {
        if (Date.now() - this.lastHeard > watchdog) {
          // Silent too long (laptop sleep, network switch): assume the link is dead and start over.
          const dead = this.ws
          this.ws = undefined
          this.stopPinging()
          dead?.close(CloseCode.normal, 'watchdog')
          return this.scheduleReconnect(0, { reason: 'watchdog: nothing heard' })
        }
        this.send('ping')
      },
      Math.min(every, watchdog),
    )
  }

  private stopPinging(): void {
    clearInterval(this.pingTimer)
    this.pingTimer = undefined
  }

  private remember(id: string): void {
    this.seen.add(id)
    if (this.seen.size > 5000)
      for (const old of this.seen) if (this.seen.delete(old) && this.seen.size <= 4000) break
  }

  private setState(state: ConnectionState, cause: StateCause = {}): void {
    if (this.state === state) return
    this.state = state
    this.emit('state', state, cause)
  }

  /** An exception in an application handler never breaks the client: it becomes an `error` event. */
  private emit(type: string, data: unknown, frame?: ServerFrame | StateCause): void {
    for (const h of this.handlers.get(type) ?? []) {
      try {
        h(data, frame)
      } catch (err) {
        if (type === 'error') console.error(err)
        else this.emit('error', err)
      }
    }
  }

  private url(): string {
    if (this.opts.url) return this.opts.url
    const g = globalThis as {
      location?: { protocol: string; host: string }
      process?: { env?: Record<string, string | undefined> }
    }
    const loc = g.location
    if (!loc?.host) return g.process?.env?.PUO_MEMO_URL || 'ws://localhost:3000/api/v4/ws'
    return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/api/v4/ws`
  }
}

/** A JWT's `exp` in ms; undefined for API keys and unreadable tokens (left to the server). */
function expiryOf(token: string): number | undefined {
  const payload = token.split('.')[1]
  if (!payload || !token.startsWith('eyJ')) return undefined
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'))
    const exp = (JSON.parse(json) as { exp?: unknown }).exp
    return typeof exp === 'number' ? exp * 1000 : undefined
  } catch {
    return undefined
  }
}

const isExpired = (token: string): boolean => (expiryOf(token) ?? Infinity) <= Date.now()

function newId(): string {
  return (
    globalThis.crypto?.randomUUID?.() ??
    `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`
  )
}
