// The hub routes sockets: their lifecycle, their frames in, and each bus envelope to the module it
// is for (the `memories` and `tenant` channels, the credential watch). It owns no channel's state.
import type { ObservableResult } from '@opentelemetry/api'
import type { WebSocketHandler } from 'bun'
import type { Bus, Envelope } from '../bus/bus.ts'
import type { EventLogReader } from '../events/log-reader.ts'
import type { PresenceStore } from '../presence/presence.ts'
import { CHANNELS, CloseCode, ErrorCode, PROTOCOL_VERSION } from '../protocol/codes.ts'
import type { Instruments } from '../telemetry/instruments.ts'
import type { Logger } from '../telemetry/logger.ts'
import { eventArrived } from '../telemetry/spans.ts'
import { createMemoriesChannel } from './channels/memories.ts'
import { createTenantChannel } from './channels/tenant.ts'
import { createClientFrames } from './client-frames.ts'
import { collectAfterOpens } from './collect-after-opens.ts'
import type { ConnectionData, Socket } from './connection.ts'
import { createCredentialWatch } from './credential-watch.ts'
import { createOutbox } from './outbox.ts'
import type { Registry } from './registry.ts'
import { createRequests } from './requests.ts'
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
  /**
   * Envelopes in (every instance's events, presence and disconnects for the tenants watched here)
   * and presence out; `watch`/`unwatch` follow which tenants have sockets here.
   */
  bus: Pick<Bus, 'subscribe' | 'onRecover' | 'publish' | 'watch' | 'unwatch'>
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
  const { registry, log, limits, instanceId, bus } = opts
  const m = opts.instruments
  let isShuttingDown = false
  const out = createOutbox({ registry, instruments: m })
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
  const countOpened = collectAfterOpens()
  const credentials = createCredentialWatch({
    registry,
    log,
    revokedKeys: opts.revokedKeys,
    intervalMs: opts.syncIntervalMs,
    closeWith,
  })
  const memories = createMemoriesChannel({
    eventLog: opts.eventLog,
    registry,
    out,
    log,
    instruments: m,
    instanceId,
    syncIntervalMs: opts.syncIntervalMs,
    ...(opts.activity ? { onDelivered: opts.activity.delivered } : {}),
  })
  const tenant = createTenantChannel({
    store: opts.presenceStore,
    bus,
    origin: instanceId,
    registry,
    out,
    log,
    position: memories.position,
    ttlMs: opts.presence.ttlMs,
    graceMs: opts.presence.graceMs,
  })
  const requests = createRequests({ memories, onlineUsers: tenant.online, out, log })
  const handleMessage = createClientFrames({
    registry,
    instruments: m,
    limits,
    out,
    closeWith,
    channels: { memories, tenant },
    requests,
  })

  /** Every instance's envelopes for the tenants watched here, this instance's own among them. */
  function route(envelope: Envelope): void {
    if (envelope.origin !== instanceId) m.busMessagesReceived.add(1, { kind: envelope.kind })
    switch (envelope.kind) {
      case 'event':
        eventArrived(envelope.event, envelope.trace)
        return memories.deliver(envelope.event)
      case 'presence':
        return tenant.deliver(envelope)
      case 'disconnect':
        return credentials.apply(envelope)
    }
  }
  const unsubscribeBus = bus.subscribe(route)
  // After an outage anything published meanwhile is lost from the bus: compare with the log at once.
  bus.onRecover(() => {
    m.busRecoveries.add(1)
    memories.syncNow().catch((err: unknown) => log.warn('sync after bus recovery failed', { err }))
  })

  const observeSubscriptions = (r: ObservableResult) => {
    const { subscriptions } = registry.totals()
    for (const channel of CHANNELS) r.observe(subscriptions[channel], { channel })
  }
  const observeUsers = (r: ObservableResult) => r.observe(registry.totals().users)
  const observeTenants = (r: ObservableResult) => r.observe(registry.tenantCount)
  m.subscriptions.addCallback(observeSubscriptions)
  m.usersOnline.addCallback(observeUsers)
  m.tenantsWatched.addCallback(observeTenants)

  const websocket: WebSocketHandler<ConnectionData> = {
    open(ws) {
      const { principal } = ws.data
      countOpened()
      m.activeConnections.add(1)
      m.connectionsOpened.add(1)
      log.info('connection opened', {
        connectionId: ws.data.id,
        tenantId: principal.tenantId,
        userId: principal.userId,
        via: principal.via,
      })
      const isFirstOfUser = registry.add(ws)
      const { tenantId } = principal
      // The bus carries a tenant's events and presence here while any socket of the tenant is here.
      if (registry.tenantConnections(tenantId) === 1) {
        bus.watch(tenantId).catch((err: unknown) => log.warn('bus watch failed', { err }))
      }
      credentials.track(ws)
      out.send(ws, 'connected', {
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
      if (isFirstOfUser) tenant.connected(ws)
      // Upgraded after shutdown began (its request was checked before): it must not hold the stop up.
      if (isShuttingDown) closeWith(ws, CloseCode.serviceRestart, retryHint())
    },
    message(ws, raw) {
      try {
        handleMessage(ws, raw)
      } catch (err) {
        // A frame the checks above did not foresee: answered, logged, and the socket stays open.
        log.error('client frame failed', { connectionId: ws.data.id, err })
        out.sendError(ws, ErrorCode.internalError, 'Could not handle this frame')
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
      memories.release(ws)
      tenant.release(ws)
      const { tenantId } = ws.data.principal
      if (registry.remove(ws)) tenant.disconnected(ws)
      if (registry.tenantConnections(tenantId) === 0) bus.unwatch(tenantId)
    },
  }

  return {
    websocket,
    attach: out.attach,
    get isShuttingDown() {
      return isShuttingDown
    },
    /** Users online in the tenant, on any instance. */
    onlineUsers: tenant.online,
    /** Checks the API keys of open sockets against the database now. */
    checkCredentials: () => credentials.check(),
    /** Closes every socket with 1012 and a random reconnect delay, so clients do not return at once. */
    shutdown(): void {
      isShuttingDown = true
      for (const ws of registry.sockets) closeWith(ws, CloseCode.serviceRestart, retryHint())
    },
    stop(): void {
      unsubscribeBus()
      upkeep.stop()
      m.subscriptions.removeCallback(observeSubscriptions)
      m.usersOnline.removeCallback(observeUsers)
      m.tenantsWatched.removeCallback(observeTenants)
      memories.stop()
      credentials.stop()
      tenant.stop()
    },
  }
}

/** Bun closes a frame over maxPayloadLength with 1009 itself, and tells the handler 1006 and this. */
const OVERSIZE_REASON = 'Received too big message'

/** The close code the client received: the one this side sent, else what Bun reports (corrected). */
function closeCodeSeen(ws: Socket, reported: number, reason: string): number {
  if (ws.data.sentCloseCode !== 0) return ws.data.sentCloseCode
  if (reported === 1006 && reason === OVERSIZE_REASON) return CloseCode.messageTooBig
  return reported
}
