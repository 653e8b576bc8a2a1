// GET /health: 200 when the database answers, 503 naming the failing part otherwise.
import { Elysia } from 'elysia'
import type { Database } from '../db/database.ts'

export interface HealthDeps {
  database: Database
  /** Name of the bus in use, e.g. "local" or "redis". */
  busName: string
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
    return {
      status: healthy ? 'ok' : 'unavailable',
      ...(healthy ? {} : { failing: ['db'] }),
      db,
      bus: { status: 'up', driver: deps.busName },
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
