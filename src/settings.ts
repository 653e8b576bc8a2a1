// Each room's part of the config, cut once by the composition roots: typed, durations in ms, lists parsed.
import type { Config } from './config/load.ts'
import type { DatabaseConfig } from './db/index.ts'
import type { HubSettings } from './hub/hub.ts'
import type { UpgradeLimits } from './hub/upgrade.ts'
import type { EmbedderConfig } from './memories/embedder/index.ts'

export interface InstanceSettings {
  listen: {
    host: string
    port: number
    /** Request line and headers past this are answered 431. */
    maxHeaderBytes: number
    /** GET /metrics on a port of its own (else on the API port). */
    metricsPort?: number
  }
  http: { bodyLimit: number; jsonMaxDepth: number }
  hub: HubSettings
  upgrade: UpgradeLimits
  embedding: { batchSize: number }
  /** Events older than this are pruned from the log. */
  retentionMs: number
}

export function instanceSettings(config: Config): InstanceSettings {
  return {
    listen: {
      host: config.HOST,
      port: config.PORT,
      maxHeaderBytes: config.HTTP_MAX_HEADER_BYTES,
      ...(config.METRICS_PORT !== undefined ? { metricsPort: config.METRICS_PORT } : {}),
    },
    http: { bodyLimit: config.BODY_LIMIT, jsonMaxDepth: config.JSON_MAX_DEPTH },
    hub: {
      limits: {
        ratePerSecond: config.WEBSOCKET_RATE_LIMIT,
        burst: config.WEBSOCKET_RATE_BURST,
        maxMessageBytes: config.WEBSOCKET_MAX_MESSAGE_BYTES,
        maxJsonDepth: config.JSON_MAX_DEPTH,
        backpressureLimit: config.WEBSOCKET_BACKPRESSURE_LIMIT,
        pingIntervalMs: config.WEBSOCKET_PING_INTERVAL * 1000,
        timeoutMs: config.WEBSOCKET_TIMEOUT * 1000,
        reconnectSpreadMs: config.SHUTDOWN_RECONNECT_SPREAD_MS,
      },
      syncIntervalMs: config.EVENT_SYNC_INTERVAL_MS,
      presence: { ttlMs: config.PRESENCE_TTL_MS, graceMs: config.PRESENCE_GRACE_MS },
    },
    upgrade: {
      allowedOrigins: config.WEBSOCKET_ALLOWED_ORIGINS.split(',')
        .map((o) => o.trim())
        .filter(Boolean),
      maxConnections: config.WEBSOCKET_MAX_CONNECTIONS,
      maxPerTenant: config.WEBSOCKET_MAX_CONNECTIONS_PER_TENANT,
      maxPerUser: config.WEBSOCKET_MAX_CONNECTIONS_PER_USER,
      burst: config.WEBSOCKET_RATE_BURST,
    },
    embedding: { batchSize: config.EMBEDDING_BATCH_SIZE },
    retentionMs: config.EVENT_RETENTION_HOURS * 3_600_000,
  }
}

export function databaseConfig(config: Config): DatabaseConfig {
  return config.DATABASE_URL
    ? { driver: 'postgres', url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE }
    : { driver: 'pglite', dataDir: config.DATA_DIR }
}

export function embedderConfig(config: Config): EmbedderConfig {
  return config.EMBEDDING_URL
    ? {
        driver: 'http',
        url: config.EMBEDDING_URL,
        model: config.EMBEDDING_MODEL,
        ...(config.EMBEDDING_API_KEY ? { apiKey: config.EMBEDDING_API_KEY } : {}),
      }
    : { driver: 'local', dimensions: config.EMBEDDING_DIMENSIONS }
}
