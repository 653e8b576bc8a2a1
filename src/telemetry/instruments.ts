// Every OpenTelemetry instrument PUO Memo records, declared in one place. Attributes stay
// low-cardinality: no tenant or user ids (per-tenant figures belong to /api/v4/ws/status).
// Observable gauges (state read at collection time) are registered where their state lives.
import type { Meter } from '@opentelemetry/api'
import { ClientFrame } from '../protocol/client-frames.ts'
import { CloseCode, ErrorCode } from '../protocol/codes.ts'
import { ServerFrame } from '../protocol/server-frames.ts'

/** The values each bounded label can take: their series are started at zero (see startAtZero). */
export const LABEL_VALUES = {
  /** Close codes a client can see: the contract's, plus 1005 (none given) and 1006 (no close frame). */
  closeCodes: [...new Set([...Object.values(CloseCode), 1005, 1006])].sort((a, b) => a - b),
  framesIn: [...ClientFrame.anyOf.map((f) => f.properties.type.const), 'other', 'binary'],
  framesOut: [...ServerFrame.anyOf.map((f) => f.properties.type.const), 'replay'],
  limits: ['connections', 'tenant_connections', 'user_connections', 'rate', 'size', 'backpressure'],
  errorCodes: Object.values(ErrorCode),
  /** HTTP statuses an upgrade is refused with, and 4401 for a refusal sent as a close frame. */
  refusals: [400, 401, 403, 426, 429, 503, 4401],
  resumeOutcomes: ['replayed', 'current', 'resume_unavailable'],
  busKinds: ['event', 'presence', 'disconnect'],
  databaseErrors: ['unavailable', 'rejected_value', 'other'],
} as const

export type Limit = (typeof LABEL_VALUES.limits)[number]
export type ResumeOutcome = (typeof LABEL_VALUES.resumeOutcomes)[number]
export type DatabaseErrorKind = (typeof LABEL_VALUES.databaseErrors)[number]

export function createInstruments(meter: Meter) {
  return {
    activeConnections: meter.createUpDownCounter('puo.ws.connections.active', {
      description: 'Open WebSocket connections',
      unit: '{connection}',
    }),
    connectionsOpened: meter.createCounter('puo.ws.connections.opened', {
      description: 'WebSocket connections accepted',
      unit: '{connection}',
    }),
    connectionsClosed: meter.createCounter('puo.ws.connections.closed', {
      description: 'WebSocket connections closed, by close code',
      unit: '{connection}',
    }),
    connectionDuration: meter.createHistogram('puo.ws.connection.duration', {
      description: 'How long WebSocket connections stayed open',
      unit: 's',
      // From a refused or dropped socket (under a second) to a dashboard left open for a week.
      advice: {
        explicitBucketBoundaries: [
          0.1, 1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 14_400, 28_800, 86_400, 259_200, 604_800,
        ],
      },
    }),
    messagesReceived: meter.createCounter('puo.ws.messages.received', {
      description: 'Client frames received, by type',
      unit: '{message}',
    }),
    messagesSent: meter.createCounter('puo.ws.messages.sent', {
      description:
        'Frames sent to clients (a topic publish counts once per receiving socket), by type',
      unit: '{message}',
    }),
    deliveryLatency: meter.createHistogram('puo.event.delivery.latency', {
      description: 'From the write of an event to its fan-out to sockets',
      unit: 'ms',
      // Up to 10 minutes: an event filled from the log after a long bus outage is late, not lost.
      advice: {
        explicitBucketBoundaries: [
          1, 2, 5, 10, 20, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000, 120_000,
          300_000, 600_000,
        ],
      },
    }),
    subscriptions: meter.createObservableGauge('puo.ws.subscriptions', {
      description: 'Subscriptions held by sockets on this instance, by channel',
      unit: '{subscription}',
    }),
    usersOnline: meter.createObservableGauge('puo.ws.users', {
      description: 'Users with at least one socket on this instance',
      unit: '{user}',
    }),
    tenantsWatched: meter.createObservableGauge('puo.bus.tenants.watched', {
      description:
        'Tenants whose events and presence this instance receives (it has their sockets)',
      unit: '{tenant}',
    }),
    busUp: meter.createObservableGauge('puo.bus.up', {
      description:
        '1 while the bus reaches the other instances (always 1 for the in-process bus), else 0',
      unit: '1',
    }),
    embeddingQueue: meter.createObservableGauge('puo.embeddings.queue.depth', {
      description: 'Memories waiting for an embedding (all instances share the queue)',
      unit: '{job}',
    }),
    pendingAge: meter.createObservableGauge('puo.events.pending.age', {
      description:
        'Age of the oldest committed event waiting on this instance for an earlier one (0 when none): the relay lag',
      unit: 'ms',
    }),
    busPublishErrors: meter.createCounter('puo.bus.publish.errors', {
      description:
        'Events that could not be published to other instances (they reach them from the log)',
      unit: '{event}',
    }),
    busRecoveries: meter.createCounter('puo.bus.recoveries', {
      description: 'Times the bus came back after an outage',
      unit: '{recovery}',
    }),
    eventsFromLog: meter.createCounter('puo.events.filled_from_log', {
      description: 'Events this instance read from the event log because the bus missed them',
      unit: '{event}',
    }),
    limitRejections: meter.createCounter('puo.ws.limit.rejections', {
      description: 'Connections or frames refused by a limit, by limit',
      unit: '{rejection}',
    }),
    bytesReceived: meter.createCounter('puo.ws.bytes.received', {
      description: 'Bytes of client frames received (payloads, without WebSocket framing)',
      unit: 'By',
    }),
    bytesSent: meter.createCounter('puo.ws.bytes.sent', {
      description:
        'Bytes of frames sent to clients (payloads; a topic publish counts once per receiving socket)',
      unit: 'By',
    }),
    errorFrames: meter.createCounter('puo.ws.errors.sent', {
      description: '`error` frames sent to clients, by error code',
      unit: '{frame}',
    }),
    upgradeRefusals: meter.createCounter('puo.ws.upgrade.refusals', {
      description:
        'WebSocket upgrades refused, by HTTP status (or 4401 when refused with a close frame)',
      unit: '{refusal}',
    }),
    resumes: meter.createCounter('puo.ws.resumes', {
      description:
        'Subscriptions with a position, by outcome: replayed (events were sent), current (nothing missed), resume_unavailable',
      unit: '{resume}',
    }),
    replaySize: meter.createHistogram('puo.ws.resume.replayed', {
      description: 'Events sent from the log to one resuming socket',
      unit: '{event}',
      advice: { explicitBucketBoundaries: [0, 1, 5, 10, 50, 100, 500, 1000, 5000, 10_000] },
    }),
    busMessagesReceived: meter.createCounter('puo.bus.messages.received', {
      description: 'Envelopes received from other instances over the bus, by kind',
      unit: '{message}',
    }),
    embeddingFailures: meter.createCounter('puo.embeddings.failures', {
      description: 'Embedding attempts that failed (the job is retried with backoff)',
      unit: '{failure}',
    }),
    databaseErrors: meter.createCounter('puo.db.errors', {
      description:
        'Requests answered with an error because the database failed, by kind (unavailable, timeout, …)',
      unit: '{error}',
    }),
    httpDuration: meter.createHistogram('http.server.request.duration', {
      description: 'Duration of HTTP server requests',
      unit: 's',
      advice: {
        explicitBucketBoundaries: [
          0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
        ],
      },
    }),
  }
}

export type Instruments = ReturnType<typeof createInstruments>

/**
 * Adds 0 to every counter series whose labels are known in advance, so each exists from the first
 * scrape: otherwise a series appears already at N, and rate() and increase() miss that first jump.
 */
export function startAtZero(m: Instruments): void {
  const v = LABEL_VALUES
  m.activeConnections.add(0)
  for (const c of [
    m.connectionsOpened,
    m.busPublishErrors,
    m.busRecoveries,
    m.eventsFromLog,
    m.embeddingFailures,
    m.bytesReceived,
    m.bytesSent,
  ])
    c.add(0)
  for (const code of v.closeCodes) m.connectionsClosed.add(0, { 'close.code': String(code) })
  for (const t of v.framesIn) m.messagesReceived.add(0, { 'message.type': t })
  for (const t of v.framesOut) m.messagesSent.add(0, { 'message.type': t })
  for (const limit of v.limits) m.limitRejections.add(0, { limit })
  for (const code of v.errorCodes) m.errorFrames.add(0, { 'error.code': code })
  for (const status of v.refusals) m.upgradeRefusals.add(0, { status: String(status) })
  for (const outcome of v.resumeOutcomes) m.resumes.add(0, { outcome })
  for (const kind of v.busKinds) m.busMessagesReceived.add(0, { kind })
  for (const kind of v.databaseErrors) m.databaseErrors.add(0, { 'error.type': kind })
}
