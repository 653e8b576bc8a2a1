// GET /health: 200 when the database answers, 503 naming the failing part otherwise; WebSocket figures.
import { Elysia } from 'elysia'
import type { Bus } from '../bus/bus.ts'
import type { Database } from '../db/database.ts'
import type { Registry } from '../hub/registry.ts'

export interface HealthDeps {
  database: Database
  bus: Pick<Bus, 'name' | 'isHealthy'>
  registry: Registry
  version: string
  startedAt: number
  /** Per-check timeout (default 2 s). */
  timeoutMs?: number
}

export function healthController(deps: HealthDeps) {
  return new Elysia({ tags: ['health'] }).get('/health', async ({ set }) => {
    const db = await withTimeout(deps.database.ping(), deps.timeoutMs ?? 2000)
      .then(() => ({ status: 'up' as const, driver: deps.database.driver }))
      .catch((err: unknown) => ({
        status: 'down' as const,
        driver: deps.database.driver,
        error: (err as Error).message.slice(0, 200),
      }))
    const healthy = db.status === 'up'
    set.status = healthy ? 200 : 503
    const { connections, users, subscriptions, messagesSent, messagesReceived } =
      deps.registry.totals()
    return {
      status: healthy ? 'ok' : 'unavailable',
      ...(healthy ? {} : { failing: ['db'] }),
      db,
      bus: { status: deps.bus.isHealthy() ? 'up' : 'down', driver: deps.bus.name },
      websocket: { connections, users, subscriptions, messagesSent, messagesReceived },
      version: deps.version,
      uptime: Math.round((Date.now() - deps.startedAt) / 1000),
    }
  })
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
    p.then(resolve, reject).finally(() => clearTimeout(timer))
  })
}
