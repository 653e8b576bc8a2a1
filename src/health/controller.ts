// GET /health: 200 ok, 200 degraded (bus down), 503 when the database does not answer; WebSocket figures.
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
    // Without the bus, writes still commit and local sockets still get events: degraded, not down.
    const busUp = deps.bus.isHealthy()
    set.status = healthy ? 200 : 503
    const { connections, users, subscriptions, messagesSent, messagesReceived } =
      deps.registry.totals()
    return {
      status: !healthy ? 'unavailable' : busUp ? 'ok' : 'degraded',
      ...(healthy && busUp
        ? {}
        : { failing: [...(healthy ? [] : ['db']), ...(busUp ? [] : ['bus'])] }),
      db,
      bus: { status: busUp ? 'up' : 'down', driver: deps.bus.name },
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
