// Composition root: config → database → bus → instance (app, hub, worker, server); drains on SIGTERM/SIGINT.
import { createLocalDirectory, createRedisDirectory } from './admin/directory.ts'
import { createBus } from './bus/index.ts'
import { connectRedis } from './bus/redis-clients.ts'
import { resolveJwtSecret } from './config/dev-secret.ts'
import { type Config, ConfigError, loadConfig } from './config/load.ts'
import { DataDirBusyError } from './db/data-dir-lock.ts'
import { guardAgainstDriverDefect } from './db/driver-guard.ts'
import { openDatabase } from './db/index.ts'
import { createEmbedder } from './memories/embedder/index.ts'
import { createPresenceStore } from './presence/index.ts'
import { startInstance } from './server.ts'
import { databaseConfig, embedderConfig, instanceSettings } from './settings.ts'
import { createLogger } from './telemetry/logger.ts'
import { startMetrics } from './telemetry/metrics.ts'
import { startTracing } from './telemetry/tracing.ts'
import { VERSION } from './version.ts'

function configOrExit(): Config {
  try {
    return loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message)
      process.exit(1)
    }
    throw err
  }
}

async function main(): Promise<void> {
  const config = configOrExit()
  const instanceId = config.INSTANCE_ID ?? `puo-${crypto.randomUUID().slice(0, 8)}`
  const log = createLogger(config.LOG_LEVEL, { instance: instanceId })
  guardAgainstDriverDefect(log)
  const secret = resolveJwtSecret(config)
  if (secret.isGenerated) {
    log.warn(
      'JWT_SECRET is not set: using a development secret stored in DATA_DIR; set JWT_SECRET in production',
      {
        dataDir: config.DATA_DIR,
      },
    )
  }

  const database = await openDatabase(databaseConfig(config)).catch((err: unknown) => {
    if (!(err instanceof DataDirBusyError)) throw err
    log.error(err.message, { pid: err.pid })
    process.exit(1)
  })
  await database.migrate()
  log.info('database ready', { driver: database.driver })
  const redis = config.REDIS_URL ? connectRedis(config.REDIS_URL, config.REDIS_MODE) : undefined
  const bus = createBus(
    redis ? { driver: 'redis', ...redis, origin: instanceId, log } : { driver: 'local' },
  )
  const presence = createPresenceStore(
    redis ? { driver: 'redis', redis: redis.publisher, instanceId } : { driver: 'local' },
  )
  const embedder = createEmbedder(embedderConfig(config))
  const otlp = config.OTEL_EXPORTER_OTLP_ENDPOINT
  const identity = { serviceName: config.OTEL_SERVICE_NAME, instanceId, version: VERSION }
  // With neither Prometheus nor OTLP the instruments are the API's no-ops: nothing is recorded.
  const metrics =
    config.METRICS_ENABLED || otlp
      ? startMetrics({
          ...identity,
          prometheus: config.METRICS_ENABLED,
          ...(otlp
            ? { otlp: { endpoint: otlp, intervalMs: config.OTEL_METRIC_EXPORT_INTERVAL } }
            : {}),
        })
      : undefined
  const tracing = otlp
    ? startTracing({
        ...identity,
        endpoint: otlp,
        sampleRatio: config.OTEL_TRACES_SAMPLE_RATIO,
        traceProbes: config.OTEL_TRACE_PROBES,
      })
    : undefined
  const instance = startInstance({
    ...(metrics ? { metrics } : {}),
    directory: redis ? createRedisDirectory(redis.publisher) : createLocalDirectory(),
    settings: instanceSettings(config),
    database,
    bus,
    presence,
    embedder,
    log,
    jwtSecret: secret.value,
    instanceId,
    version: VERSION,
  })
  let isStopping = false
  const shutdown = async (signal: string) => {
    if (isStopping) return
    isStopping = true
    log.info('shutting down', { signal, connections: instance.registry.size })
    const force = setTimeout(() => {
      log.error('shutdown timed out; exiting')
      process.exit(1)
    }, config.SHUTDOWN_TIMEOUT_MS)
    await instance.stop()
    await bus.close()
    await database.close()
    await Promise.all([metrics?.shutdown(), tracing?.shutdown()]).catch((err: unknown) =>
      log.warn('telemetry did not flush', { err }),
    )
    clearTimeout(force)
    log.info('stopped')
    process.exit(0)
  }
  // Handlers first: whoever reads "listening" may signal at once (an unhandled SIGUSR2 kills).
  process.on('SIGUSR2', () => Bun.gc(true))
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
  log.info('listening', {
    url: `http://${config.HOST}:${instance.server.port}`,
    version: VERSION,
    embedder: embedder.model,
    bus: bus.name,
  })
}

await main()
