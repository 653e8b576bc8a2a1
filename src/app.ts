// createApp(deps): builds the Elysia app from ready-made dependencies; no I/O here, so tests call it directly.
import { openapi } from '@elysiajs/openapi'
import { Elysia } from 'elysia'
import { adminController, adminPageController } from './admin/controller.ts'
import type { InstanceDirectory } from './admin/directory.ts'
import { apiDocsController } from './api-docs/controller.ts'
import type { DocumentedRoute } from './api-docs/document.ts'
import { apiKeysController } from './api-keys/controller.ts'
import { apiKeyCheck } from './api-keys/credential.ts'
import type { AuthDeps } from './auth/authenticate.ts'
import type { Bus } from './bus/bus.ts'
import type { Database } from './db/database.ts'
import type { Disconnect } from './events/disconnect.ts'
import type { StoredEvent } from './events/types.ts'
import { healthController } from './health/controller.ts'
import type { RouteList } from './http/allowed-methods.ts'
import { jsonBody } from './http/body.ts'
import { errorHandler } from './http/error-handler.ts'
import { registerFormats } from './http/formats.ts'
import { clientPageController } from './hub/client-page.ts'
import { realtimeStatusController, type StatusDeps } from './hub/status.ts'
import { memoriesController } from './memories/controller.ts'
import type { Embedder } from './memories/embedder/embedder.ts'
import { metricsRoute, requestSpanName, requestTelemetry } from './telemetry/http.ts'
import type { Logger } from './telemetry/logger.ts'
import type { Metrics } from './telemetry/metrics.ts'

export interface AppDeps {
  database: Database
  jwtSecret: string
  embedder: Embedder
  log: Logger
  /** Largest accepted request body in bytes. */
  bodyLimit: number
  /** Deepest JSON nesting accepted in a body's members (JSON_MAX_DEPTH). */
  jsonMaxDepth: number
  version: string
  startedAt: number
  bus: Pick<Bus, 'name' | 'isHealthy'>
  /** When given: HTTP request durations, and GET /metrics if Prometheus is on and has no port of its own. */
  metrics?: Metrics
  /** /metrics is served on a separate port (METRICS_PORT), not by this app. */
  hasMetricsPort?: boolean
  realtime: StatusDeps
  /** Given each event a request committed (events/after-commit.ts). */
  afterCommit: (event: StoredEvent) => void
  /** Called after a credential was withdrawn (an API key revoked, a user disconnected): its sockets must end. */
  onDisconnect: (target: Disconnect) => void
  /** Every instance's latest snapshot, for the admin view. */
  directory: InstanceDirectory
}

export function createApp(deps: AppDeps) {
  registerFormats()
  const auth: AuthDeps = {
    jwtSecret: deps.jwtSecret,
    apiKeys: apiKeyCheck(deps.database.db, deps.log),
  }
  const memoryDeps = {
    db: deps.database.db,
    writer: deps.database.writer,
    embedder: deps.embedder,
    afterCommit: deps.afterCommit,
  }
  // normalize: false makes `additionalProperties: false` refuse unknown fields instead of dropping them.
  let routes: RouteList = []
  let documented: readonly DocumentedRoute[] = []
  const app = new Elysia({ normalize: false })
    .use(errorHandler(deps.log, () => routes))
    // Hooks apply to the routes registered after them: telemetry comes before every route.
    .use(requestTelemetry(deps.log, deps.metrics))
    .use(requestSpanName())
    .use(
      deps.metrics?.isPrometheusEnabled && !deps.hasMetricsPort
        ? metricsRoute(deps.metrics)
        : new Elysia(),
    )
    .use(jsonBody({ bytes: deps.bodyLimit, depth: deps.jsonMaxDepth }))
    .use(apiDocsController(() => documented))
    .use(
      openapi({
        // The document only, at /docs/json: the page is served from the installed Swagger UI.
        provider: null,
        path: '/docs',
        documentation: {
          info: {
            title: 'PUO Memo API',
            version: deps.version,
            description: 'Memories with real-time sync',
          },
          components: {
            securitySchemes: {
              bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
              apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
            },
          },
          security: [{ bearer: [] }, { apiKey: [] }],
        },
      }),
    )
    .use(
      healthController({
        database: deps.database,
        bus: deps.bus,
        registry: deps.realtime.registry,
        version: deps.version,
        startedAt: deps.startedAt,
      }),
    )
    .use(clientPageController())
    .use(adminPageController())
    .group('/api/v4', (api) =>
      api
        .use(memoriesController(memoryDeps, auth))
        .use(apiKeysController(deps.database.db, auth, deps.onDisconnect))
        .use(adminController({ directory: deps.directory, onDisconnect: deps.onDisconnect }, auth))
        .use(realtimeStatusController(deps.realtime, auth)),
    )
  routes = app.routes
  // Elysia's route list carries each route's hooks (its body schema among them).
  documented = app.routes as unknown as readonly DocumentedRoute[]
  return app
}
