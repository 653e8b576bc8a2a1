// The hub: WebSocket lifecycle, subscriptions, and fan-out of bus envelopes to Bun topics.
import type { ObservableResult } from '@opentelemetry/api'
import type { Server, WebSocketHandler } from 'bun'
import type { Bus, Envelope } from '../bus/bus.ts'
import type { EventLogReader } from '../events/log-reader.ts'
import type { PresenceStore, PresenceUser } from '../presence/presence.ts'
import { CHANNELS, CloseCode, ErrorCode, PROTOCOL_VERSION } from '../protocol/codes.ts'
import { encodeFrame } from '../protocol/encode.ts'
import type { Channel } from '../protocol/frames.ts'
import { presenceTopic } from '../protocol/topics.ts'
import type { Instruments } from '../telemetry/instruments.ts'
import type { Logger } from '../telemetry/logger.ts'
import { eventArrived, eventFannedOut } from '../telemetry/spans.ts'
import { createClientFrames } from './client-frames.ts'
import {
  addChannel,
  type ConnectionData,
  dropChannel,
  type SendError,
  type SendFrame,
  type Socket,
} from './connection.ts'
import { createCredentialWatch } from './credential-watch.ts'
import { createMemoryFeed } from './memory-feed.ts'
import { createPresence } from './presence.ts'
import type { Registry } from './registry.ts'
import { createRequests } from './requests.ts'
import { createTokenExpiry } from './token-expiry.ts'
import { createUpkeep } from './upkeep.ts'

export interface HubLimits {
  ratePerSecond: number
  burst: number
  maxMessageBytes: number
  /** Deepest JSON nesting inside a client frame's members (JSON_MAX_DEPTH). */
  maxJsonDepth: number
  /** Bytes queued for one socket before the sweep closes it with 1013. */
  backpressureLimit: number
  pingIntervalMs: number
  timeoutMs: number
  /** Upper bound of the random reconnect delay announced on shutdown and on 1013. */
  reconnectSpreadMs: number
}

/** The hub's part of the config, in ms. */
export interface HubSettings {
  limits: HubLimits
  /** How often every watched tenant is compared with the log (anti-entropy), and keys rechecked. */
  syncIntervalMs: number
  presence: {
    /** How long an entry lives without a refresh (a dead instance's users expire within it). */
    ttlMs: number
    /** How long a user whose last socket closed stays online, so a quick reconnect does not flap. */
    graceMs: number
  }
}

export interface HubOptions extends HubSettings {
  instanceId: string
  registry: Registry
  log: Logger
  /** Reads the event log (gap fill, resume). */
  eventLog: EventLogReader
  /** Carries presence out; `watch`/`unwatch` follow which tenants have sockets here. */
  bus: Pick<Bus, 'publish' | 'watch' | 'unwatch'>
  presenceStore: PresenceStore
  /** Where measurements go (a no-op meter's instruments when telemetry is off). */
  instruments: Instruments
  /** Which of these API key ids are revoked (checked as often as the log sync runs). */
  revokedKeys(ids: readonly string[]): Promise<string[]>
  /** Told of each close and each fan-out (the admin view's recent activity). */
  activity?: {
    closed(c: { tenantId: string; userId: string; code: number; reason: string }): void
    delivered(latencyMs: number, sockets: number): void
  }
}

export function createHub(opts: HubOptions) {
  const { registry, log, limits, instanceId } = opts
  const m = opts.instruments
  let server: Server<ConnectionData> | undefined
  let isShuttingDown = false
  const upkeep = createUpkeep({
    registry,
    log,
    backpressureLimit: limits.backpressureLimit,
    pingIntervalMs: limits.pingIntervalMs,
    timeoutMs: limits.timeoutMs,
    reconnectSpreadMs: limits.reconnectSpreadMs,
    onBackpressure: () => m.limitRejections.add(1, { limit: 'backpressure' }),
  })
  const { closeWith, retryHint } = upkeep
  const credentials = createCredentialWatch({
    registry,
    log,
    revokedKeys: opts.revokedKeys,
    intervalMs: opts.syncIntervalMs,
    end: (ws, reason) => closeWith(ws, CloseCode.credentialRevoked, reason),
  })

  const expiry = createTokenExpiry({
    sockets: registry.sockets,
    end: (ws) => closeWith(ws, CloseCode.tokenExpired, 'token expired'),
  })

  /** Counts one frame handed to `n` sockets of a tenant (per event, never per socket). */
  function counted(tenantId: string, n: number, type: string, frame: string): number {
    if (n === 0) return 0
    registry.countSent(tenantId, n)
    m.messagesSent.add(n, { 'message.type': type })
    m.bytesSent.add(n * Buffer.byteLength(frame))
    return n
  }

  /** Sends one encoded frame to one socket, counted (dropped once the socket is closing). */
  function sendEncoded(ws: Socket, frame: string, type: string): void {
    if (ws.data.isClosing) return
    ws.send(frame)
    counted(ws.data.principal.tenantId, 1, type, frame)
  }

  const send: SendFrame = (ws, type, data, id) => sendEncoded(ws, encodeFrame(type, data, id), type)

  const sendError: SendError = (ws, code, message, id) => {
    m.errorFrames.add(1, { 'error.code': code })
    send(ws, 'error', { code, message }, id)
  }

  /** Publishes to a topic if anyone here listens; returns how many sockets it reached. */
  function publish(tenantId: string, topic: string, payload: string, type: string): number {
    const n = server?.subscriberCount(topic) ?? 0
    if (n > 0) server?.publish(topic, payload)
    return counted(tenantId, n, type, payload)
  }

  /**
   * Sends a frame to each of the user's live sockets here (a user has a few; a Bun topic per user
   * would cost every idle socket half a kilobyte); returns how many it reached.
   */
  function sendToUser(tenantId: string, userId: string, frame: string, type: string): number {
    let n = 0
    for (const ws of registry.liveSockets(tenantId, userId)) {
      if (ws.data.isClosing) continue
      ws.send(frame)
      n++
    }
    return counted(tenantId, n, type, frame)
  }

  const feed = createMemoryFeed({
    eventLog: opts.eventLog,
    registry,
    log,
    publish,
    sendToUser,
    onFilled: (count) => m.eventsFromLog.add(count),
    onFanOut: (event, sockets) => {
      const latencyMs = Math.max(0, Date.now() - Date.parse(event.createdAt))
      m.deliveryLatency.record(latencyMs)
      opts.activity?.delivered(latencyMs, sockets)
      eventFannedOut(event, `fan-out ${event.type}`, {
        'puo.event.type': event.type,
        'puo.event.seq': event.seq,
        'puo.instance.id': opts.instanceId,
        'puo.sockets': sockets,
      })
    },
    onResume(outcome, replayed) {
      m.resumes.add(1, { outcome })
      if (outcome !== 'resume_unavailable') m.replaySize.record(replayed)
    },
    send,
    sendRaw: (ws, payload) => sendEncoded(ws, payload, 'replay'),
    sendError,
  })

  // The relay lag of this design: how long the oldest committed event has waited here for a gap to fill.
  const observePendingAge = (r: ObservableResult) => {
    const at = feed.oldestPendingAt()
    r.observe(at === undefined ? 0 : Math.max(0, Date.now() - at))
  }
  m.pendingAge.addCallback(observePendingAge)
  const observeSubscriptions = (r: ObservableResult) => {
    const { subscriptions } = registry.totals()
    for (const channel of CHANNELS) r.observe(subscriptions[channel], { channel })
  }
  const observeUsers = (r: ObservableResult) => r.observe(registry.totals().users)
  const observeTenants = (r: ObservableResult) => r.observe(registry.tenantCount)
  m.subscriptions.addCallback(observeSubscriptions)
  m.usersOnline.addCallback(observeUsers)
  m.tenantsWatched.addCallback(observeTenants)

  function subscribe(
    ws: Socket,
    channel: Channel,
    position: { since?: number; epoch?: string },
    id: string | undefined,
  ): void {
    if (channel === 'memories') {
      feed.subscribe(ws, position, id).catch((err: unknown) => {
        log.error('subscribe failed', { err })
        sendError(ws, ErrorCode.internalError, 'Could not subscribe; try again', id)
      })
      return
    }
    const { tenantId } = ws.data.principal
    if (addChannel(ws, 'tenant')) {
      ws.subscribe(presenceTopic(tenantId))
      registry.subscribed(ws, 'tenant')
    }
    send(ws, 'subscribed', { channel, seq: feed.highWater(tenantId) ?? 0 }, id)
  }

  function unsubscribe(ws: Socket, channel: Channel, id: string | undefined): void {
    if (channel === 'memories') return feed.unsubscribe(ws, id)
    if (dropChannel(ws, 'tenant')) {
      ws.unsubscribe(presenceTopic(ws.data.principal.tenantId))
      registry.unsubscribed(ws, 'tenant')
    }
    send(ws, 'unsubscribed', { channel }, id)
  }

  const handleMessage = createClientFrames({
    registry,
    instruments: m,
    limits,
    send,
    sendError,
    closeWith,
    subscribe,
    unsubscribe,
    presence: (ws, id) => requests.presence(ws, id),
    history: (ws, since, limit, id) => requests.history(ws, since, limit, id),
  })

  const presence = createPresence({
    store: opts.presenceStore,
    bus: opts.bus,
    origin: instanceId,
    registry,
    log,
    ttlMs: opts.presence.ttlMs,
    graceMs: opts.presence.graceMs,
  })

  const requests = createRequests({
    feed,
    onlineUsers: (tenantId) => presence.list(tenantId),
    registry,
    log,
    instruments: m,
    send,
    sendError,
  })

  const userOf = (ws: Socket): PresenceUser => {
    const { tenantId, userId, name } = ws.data.principal
    return { tenantId, userId, ...(name ? { name } : {}) }
  }

  const websocket: WebSocketHandler<ConnectionData> = {
    open(ws) {
      const { principal } = ws.data
      m.activeConnections.add(1)
      m.connectionsOpened.add(1)
      log.info('connection opened', {
        connectionId: ws.data.id,
        tenantId: principal.tenantId,
        userId: principal.userId,
        via: principal.via,
      })
      const isFirstOfUser = registry.add(ws)
      credentials.track(ws)
      const { tenantId } = principal
      // The bus carries a tenant's events and presence here while any socket of the tenant is here.
      if (registry.tenantConnections(tenantId) === 1) {
        opts.bus.watch(tenantId).catch((err: unknown) => log.warn('bus watch failed', { err }))
      }
      expiry.track(ws)
      send(ws, 'connected', {
        connectionId: ws.data.id,
        userId: principal.userId,
        tenantId: principal.tenantId,
        instanceId,
        protocolVersion: PROTOCOL_VERSION,
        heartbeatIntervalMs: limits.pingIntervalMs,
        limits: {
          maxMessageBytes: limits.maxMessageBytes,
          messagesPerSecond: limits.ratePerSecond,
          burst: limits.burst,
        },
      })
      if (isFirstOfUser) presence.connected(userOf(ws))
      // Upgraded after shutdown began (its request was checked before): it must not hold the stop up.
      if (isShuttingDown) closeWith(ws, CloseCode.serviceRestart, retryHint())
    },
    message(ws, raw) {
      try {
        handleMessage(ws, raw)
      } catch (err) {
        // A frame the checks above did not foresee: answered, logged, and the socket stays open.
        log.error('client frame failed', { connectionId: ws.data.id, err })
        sendError(ws, ErrorCode.internalError, 'Could not handle this frame')
      }
    },
    pong(ws) {
      ws.data.lastSeen = performance.now()
    },
    drain: upkeep.closeIfDrained,
    close(ws, reported, reason) {
      const code = closeCodeSeen(ws, reported, reason)
      m.activeConnections.add(-1)
      m.connectionsClosed.add(1, { 'close.code': String(code) })
      const seconds = (performance.now() - ws.data.openedAt) / 1000
      m.connectionDuration.record(seconds)
      log.info('connection closed', {
        connectionId: ws.data.id,
        tenantId: ws.data.principal.tenantId,
        code,
        seconds: Math.round(seconds * 10) / 10,
      })
      if (code === CloseCode.messageTooBig) m.limitRejections.add(1, { limit: 'size' })
      opts.activity?.closed({
        tenantId: ws.data.principal.tenantId,
        userId: ws.data.principal.userId,
        code,
        reason: ws.data.sentCloseReason || reason,
      })
      ws.data.isClosing = true
      upkeep.forget(ws)
      credentials.forget(ws)
      expiry.forget(ws)
      feed.release(ws)
      const { tenantId } = ws.data.principal
      if (registry.remove(ws)) presence.disconnected(userOf(ws))
      if (registry.tenantConnections(tenantId) === 0) opts.bus.unwatch(tenantId)
    },
  }

  let isSyncing = false
  const syncer = setInterval(() => {
    if (isSyncing) return
    isSyncing = true
    feed
      .syncAll()
      .catch((err: unknown) => log.warn('event log sync failed; retrying', { err }))
      .finally(() => {
        isSyncing = false
      })
  }, opts.syncIntervalMs)
  syncer.unref?.()

  return {
    websocket,
    attach(s: Server<ConnectionData>) {
      server = s
    },
    get isShuttingDown() {
      return isShuttingDown
    },
    /** A committed event from the bus: ordered and deduplicated per tenant, then fanned out to topics. */
    deliver(envelope: Envelope): void {
      if (envelope.kind === 'event') {
        eventArrived(envelope.event, envelope.trace)
        return feed.offer(envelope.event)
      }
      if (envelope.kind === 'disconnect') return credentials.apply(envelope)
      const { type, userId, name } = envelope.presence
      const payload = encodeFrame(type, { userId, ...(name ? { name } : {}) }, envelope.id)
      publish(envelope.tenant, presenceTopic(envelope.tenant), payload, type)
    },
    /** Users online in the tenant, on any instance. */
    onlineUsers: (tenantId: string) => presence.list(tenantId),
    /** Compares every watched tenant with the log now (e.g. after the bus reconnects). */
    syncNow: () => feed.syncAll(),
    /** Checks the API keys of open sockets against the database now. */
    checkCredentials: () => credentials.check(),
    /** Closes every socket with 1012 and a random reconnect delay, so clients do not return at once. */
    shutdown(): void {
      isShuttingDown = true
      for (const ws of registry.sockets) closeWith(ws, CloseCode.serviceRestart, retryHint())
    },
    stop(): void {
      upkeep.stop()
      m.pendingAge.removeCallback(observePendingAge)
      m.subscriptions.removeCallback(observeSubscriptions)
      m.usersOnline.removeCallback(observeUsers)
      m.tenantsWatched.removeCallback(observeTenants)
      clearInterval(syncer)
      credentials.stop()
      expiry.stop()
      presence.stop()
    },
  }
}

export type Hub = ReturnType<typeof createHub>

/** Bun closes a frame over maxPayloadLength with 1009 itself, and tells the handler 1006 and this. */
const OVERSIZE_REASON = 'Received too big message'

/** The close code the client received: the one this side sent, else what Bun reports (corrected). */
function closeCodeSeen(ws: Socket, reported: number, reason: string): number {
  if (ws.data.sentCloseCode !== 0) return ws.data.sentCloseCode
  if (reported === 1006 && reason === OVERSIZE_REASON) return CloseCode.messageTooBig
  return reported
}
