// Assembles a running instance from ready-made parts: app, hub, after-commit step, embedding worker, Bun server.

import { type ObservableResult, metrics as otel } from '@opentelemetry/api'
import type { Server } from 'bun'
import { createActivity } from './admin/activity.ts'
import { createLocalDirectory, type InstanceDirectory } from './admin/directory.ts'
import { startReporter } from './admin/reporter.ts'
import { createSnapshots } from './admin/snapshot.ts'
import { apiKeyCheck } from './api-keys/credential.ts'
import { revokedAmong } from './api-keys/queries.ts'
import { createApp } from './app.ts'
import type { Bus } from './bus/bus.ts'
import type { Database } from './db/database.ts'
import { createAfterCommit } from './events/after-commit.ts'
import { createDisconnectPublisher } from './events/disconnect.ts'
import { eventLogReader } from './events/log-reader.ts'
import { pruneEvents } from './events/retention.ts'
import { jsonError } from './http/error-handler.ts'
import type { ConnectionData } from './hub/connection.ts'
import { createHub } from './hub/hub.ts'
import { type SocketData, withRefusals } from './hub/refusal.ts'
import { createRegistry } from './hub/registry.ts'
import { upgradeWebSocket } from './hub/upgrade.ts'
import type { Embedder } from './memories/embedder/embedder.ts'
import { queueDepth } from './memories/embedding-jobs.ts'
import { startEmbeddingWorker } from './memories/embedding-worker.ts'
import type { PresenceStore } from './presence/presence.ts'
import type { InstanceSettings } from './settings.ts'
import { metricsResponse } from './telemetry/http.ts'
import { createInstruments } from './telemetry/instruments.ts'
import type { Logger } from './telemetry/logger.ts'
import type { Metrics } from './telemetry/metrics.ts'
import { traceRequest } from './telemetry/spans.ts'

export interface InstanceDeps {
  /** Metrics pipeline; without it, instruments are no-ops and /metrics answers 404. */
  metrics?: Metrics
  /** Where the admin view finds every instance (default: this process only). */
  directory?: InstanceDirectory
  settings: InstanceSettings
  database: Database
  bus: Bus
  presence: PresenceStore
  embedder: Embedder
  log: Logger
  jwtSecret: string
  instanceId: string
  version: string
}

export type Instance = Awaited<ReturnType<typeof startInstance>>

export function startInstance(deps: InstanceDeps) {
  const { settings, database, bus, log } = deps
  const startedAt = Date.now()
  const registry = createRegistry()
  const activity = createActivity()
  const instruments =
    deps.metrics?.instruments ?? createInstruments(otel.getMeter('puo-memo-disabled'))
  const hub = createHub({
    instanceId: deps.instanceId,
    registry,
    log,
    eventLog: eventLogReader(database.db),
    revokedKeys: (ids) => revokedAmong(database.db, ids),
    instruments,
    bus,
    presenceStore: deps.presence,
    activity,
    ...settings.hub,
  })
  const observeBus = (r: ObservableResult) => r.observe(bus.isHealthy() ? 1 : 0)
  // Read at each collection; an unreachable database leaves the series out rather than failing it.
  const observeQueue = (r: ObservableResult) =>
    queueDepth(database.db).then(
      (n) => r.observe(n),
      () => undefined,
    )
  instruments.busUp.addCallback(observeBus)
  instruments.embeddingQueue.addCallback(observeQueue)
  const afterCommit = createAfterCommit({
    bus,
    origin: deps.instanceId,
    log,
    onPublishFailed: () => instruments.busPublishErrors.add(1),
  })

  const announceDisconnect = createDisconnectPublisher(bus, deps.instanceId, log)
  const directory = deps.directory ?? createLocalDirectory()
  const reporter = startReporter({
    directory,
    take: createSnapshots({
      instanceId: deps.instanceId,
      version: deps.version,
      startedAt,
      registry,
      activity,
      bus,
      isDatabaseUp: () => reporter.isDatabaseUp(),
    }),
    // PGlite runs inside this process: it is up while the process is. A periodic query on it, beside
    // the app's own transactions, was seen to stall the embedded database in the test suite.
    pingDatabase: database.driver === 'postgres' ? () => database.ping() : undefined,
    log,
  })

  const app = createApp({
    database,
    jwtSecret: deps.jwtSecret,
    embedder: deps.embedder,
    log,
    bodyLimit: settings.http.bodyLimit,
    jsonMaxDepth: settings.http.jsonMaxDepth,
    version: deps.version,
    startedAt,
    bus,
    realtime: { registry, instanceId: deps.instanceId, startedAt, onlineUsers: hub.onlineUsers },
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    hasMetricsPort: settings.listen.metricsPort !== undefined,
    onDisconnect: announceDisconnect,
    directory,
    afterCommit: afterCommit.committed,
  })
  const worker = startEmbeddingWorker({
    db: database.replanning,
    embedder: deps.embedder,
    log,
    batchSize: settings.embedding.batchSize,
    afterCommit: afterCommit.committed,
    onFailed: (count) => instruments.embeddingFailures.add(count),
  })
  afterCommit.wakes(worker)

  // Retention: prune the log hourly (every instance may; deleting twice is harmless).
  const prune = () => {
    const cutoff = new Date(Date.now() - settings.retentionMs)
    pruneEvents(database.db, cutoff)
      .then(
        (n) =>
          n > 0 && log.info('pruned the event log', { deleted: n, before: cutoff.toISOString() }),
      )
      .catch((err: unknown) => log.warn('event log pruning failed', { err }))
  }
  const pruner = setInterval(prune, 3_600_000)
  pruner.unref?.()
  prune()

  const socketAuth = {
    jwtSecret: deps.jwtSecret,
    apiKeys: apiKeyCheck(database.db, log),
    rememberTokens: false,
  }
  const server: Server<SocketData> = Bun.serve<SocketData>({
    hostname: settings.listen.host,
    port: settings.listen.port,
    // Bun's own cap would answer a bare 413: the app enforces BODY_LIMIT itself, with a JSON body,
    // while the body streams in (http/body.ts), so Bun's is set out of reach.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    fetch(req, srv) {
      const tooLarge = oversizedHead(req, settings.listen.maxHeaderBytes)
      if (tooLarge) return tooLarge
      if (new URL(req.url).pathname === '/api/v4/ws') {
        return upgradeWebSocket(req, srv, {
          auth: socketAuth,
          registry,
          isShuttingDown: () => hub.isShuttingDown,
          ...settings.upgrade,
          onReject: (limit) => instruments.limitRejections.add(1, { limit }),
          onRefuse(status, code, message) {
            instruments.upgradeRefusals.add(1, { status: String(status) })
            activity.refused({ status, code, message })
            log.info('websocket upgrade refused', { status, code, message })
          },
        })
      }
      return traceRequest(req, () => app.handle(req))
    },
    error(err) {
      log.error('request failed outside the app', { err })
      return Response.json(
        { error: { code: 'internal_error', message: 'Something went wrong on our side' } },
        { status: 500 },
      )
    },
    websocket: {
      ...withRefusals(hub.websocket),
      maxPayloadLength: settings.hub.limits.maxMessageBytes,
      // Hard cap behind the hub's own 1013 sweep (which uses the configured limit).
      backpressureLimit: settings.hub.limits.backpressureLimit * 8,
      closeOnBackpressureLimit: true,
      // Heartbeats are the hub's (ping every WEBSOCKET_PING_INTERVAL, close after WEBSOCKET_TIMEOUT).
      idleTimeout: 0,
      sendPings: false,
      perMessageDeflate: false,
      publishToSelf: false,
    },
  })
  hub.attach(server as unknown as Server<ConnectionData>)
  const { host, metricsPort } = settings.listen
  const metricsServer = startMetricsServer(deps.metrics, host, metricsPort)
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${server.port}`

  return {
    server,
    url,
    hub,
    registry,
    app,
    /** Graceful stop: refuse new sockets, close open ones with 1012, finish requests and the worker. */
    async stop(): Promise<void> {
      hub.shutdown()
      reporter.stop()
      clearInterval(pruner)
      await server.stop(false)
      await metricsServer?.stop(true)
      hub.stop()
      instruments.busUp.removeCallback(observeBus)
      instruments.embeddingQueue.removeCallback(observeQueue)
      await worker.stop()
    },
  }
}

/**
 * 431 with a JSON body when the request line and headers pass `limit` bytes. Bun's parser refuses
 * heads over its --max-http-header-size (set to 1 MiB by `npm start`) with a bare 431 before this runs.
 */
function oversizedHead(req: Request, limit: number): Response | undefined {
  let size = req.method.length + req.url.length + 12
  for (const [name, value] of req.headers) size += name.length + value.length + 4
  if (size <= limit) return undefined
  return jsonError(
    431,
    'headers_too_large',
    `The request line and headers exceed the limit of ${limit} bytes`,
    undefined,
    { connection: 'close' },
  )
}

/** GET /metrics on METRICS_PORT, when Prometheus is on and has a port of its own. */
function startMetricsServer(
  metrics: Metrics | undefined,
  host: string,
  port: number | undefined,
): Server<undefined> | undefined {
  if (!metrics?.isPrometheusEnabled || port === undefined) return undefined
  return Bun.serve({
    hostname: host,
    port,
    fetch(req) {
      if (new URL(req.url).pathname === '/metrics' && req.method === 'GET') {
        return metricsResponse(metrics)
      }
      return Response.json(
        { error: { code: 'not_found', message: 'This port serves GET /metrics only' } },
        { status: 404 },
      )
    },
  })
}
