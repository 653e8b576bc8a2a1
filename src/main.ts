// Composition root: config → database → embedder → worker → HTTP; drains on SIGTERM/SIGINT.
import { createApp } from './app.ts'
import { resolveJwtSecret } from './config/dev-secret.ts'
import { ConfigError, loadConfig } from './config/load.ts'
import { openDatabase } from './db/index.ts'
import { createEmbedder } from './memories/embedder/index.ts'
import { startEmbeddingWorker } from './memories/embedding-worker.ts'
import { createLogger } from './telemetry/logger.ts'
import { VERSION } from './version.ts'

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>
  try {
    config = loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message)
      process.exit(1)
    }
    throw err
  }
  const startedAt = Date.now()
  const instanceId = config.INSTANCE_ID ?? `puo-${crypto.randomUUID().slice(0, 8)}`
  const log = createLogger(config.LOG_LEVEL, { instance: instanceId })
  if (config.REDIS_URL) {
    log.error(
      'REDIS_URL is set, but this version runs a single instance with the in-process bus; unset it',
    )
    process.exit(1)
  }
  const secret = resolveJwtSecret(config)
  if (secret.isGenerated) {
    log.warn(
      'JWT_SECRET is not set: using a development secret stored in DATA_DIR; set JWT_SECRET in production',
      {
        dataDir: config.DATA_DIR,
      },
    )
  }

  const database = await openDatabase(config)
  await database.migrate()
  log.info('database ready', { driver: database.driver })

  const embedder = createEmbedder(config)
  let worker: ReturnType<typeof startEmbeddingWorker> | undefined
  const app = createApp({
    database,
    jwtSecret: secret.value,
    embedder,
    log,
    bodyLimit: config.BODY_LIMIT,
    version: VERSION,
    startedAt,
    busName: 'local',
    onCommitted: (event) => {
      if (event.type === 'memory.created' || event.type === 'memory.updated') worker?.wake()
    },
  })
  worker = startEmbeddingWorker({
    db: database.db,
    embedder,
    log,
    batchSize: config.EMBEDDING_BATCH_SIZE,
    onCommitted: () => {},
  })

  const server = Bun.serve({
    hostname: config.HOST,
    port: config.PORT,
    // Bun's own cap is a backstop; the app answers 413 with a JSON body below this.
    maxRequestBodySize: config.BODY_LIMIT * 4 + 1024 * 1024,
    fetch: (request) => app.handle(request),
    error: (err) => {
      log.error('request failed outside the app', { err })
      return Response.json(
        { error: { code: 'internal_error', message: 'Something went wrong on our side' } },
        { status: 500 },
      )
    },
  })
  log.info('listening', {
    url: `http://${config.HOST}:${server.port}`,
    version: VERSION,
    embedder: embedder.model,
  })

  let isStopping = false
  const shutdown = async (signal: string) => {
    if (isStopping) return
    isStopping = true
    log.info('shutting down', { signal })
    const force = setTimeout(() => {
      log.error('shutdown timed out; exiting')
      process.exit(1)
    }, config.SHUTDOWN_TIMEOUT_MS)
    await server.stop(false)
    await worker?.stop()
    await database.close()
    clearTimeout(force)
    log.info('stopped')
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
}

await main()
