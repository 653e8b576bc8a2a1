// PostgreSQL through postgres.js, and the creates' own connection through Bun's native client: used
// when DATABASE_URL is set.
import { SQL } from 'bun'
import { sql } from 'drizzle-orm'
import { drizzle as drizzleNative } from 'drizzle-orm/bun-sql'
import { drizzle } from 'drizzle-orm/postgres-js'
import { migrate } from 'drizzle-orm/postgres-js/migrator'
import postgres from 'postgres'
import { type Database, type Db, migrationsFolder } from './database.ts'
import * as schema from './schema.ts'

/** Arbitrary constant naming PUO Memo's migration lock (pg_advisory_lock key). */
const MIGRATION_LOCK = 7_406_214_401

export interface PostgresOptions {
  url: string
  /** Pool size (default 10); the writer's one connection comes on top. */
  max?: number
}

/** Seconds before the next connection attempt after `retries` failures in a row: 50 ms doubling, ≤ 1 s. */
export function reconnectDelaySeconds(retries: number): number {
  return (0.5 + Math.random() / 2) * Math.min(0.05 * 2 ** retries, 1)
}

/** Both clients' limits, in seconds: to open a connection, and before an idle one is closed. */
const CONNECT_TIMEOUT_S = 5
const IDLE_TIMEOUT_S = 60

export function openPostgres({ url, max = 10 }: PostgresOptions): Database {
  const client = postgres(url, {
    max,
    onnotice: () => {},
    connect_timeout: CONNECT_TIMEOUT_S,
    idle_timeout: IDLE_TIMEOUT_S,
    // The driver's default waits up to 20 s between reconnection attempts after repeated failures:
    // during an outage queries then hang instead of failing (503), and recovery lags by as much.
    // At most ~1 s (with jitter) bounds both.
    backoff: reconnectDelaySeconds,
  })
  // The pool hands out its connections in turn, so writes one at a time each found a different,
  // cold server process. One connection kept for them: measured, less database CPU per write and a
  // shorter tail. It runs on Bun's own client, whose protocol work is native: the create statement
  // is sent for every write, and through postgres.js and its socket streams it cost the server
  // measurably more CPU per write (docs/PERFORMANCE.md). It prepares its statements by itself and
  // reconnects on the next statement after a connection is lost.
  const writerClient = new SQL(url, {
    max: 1,
    connectionTimeout: CONNECT_TIMEOUT_S,
    idleTimeout: IDLE_TIMEOUT_S,
  })
  const db = drizzle(preparing(client), { schema })
  return {
    db: db as unknown as Db,
    driver: 'postgres',
    // Unnamed statements: PostgreSQL plans each run with its parameters (one more round trip).
    replanning: drizzle(client, { schema }) as unknown as Db,
    writer: drizzleNative({ client: writerClient, schema }) as unknown as Db,
    ping: async () => {
      await db.execute(sql`select 1`)
    },
    // Instances booting together must not migrate at once: an advisory lock serialises them. The lock
    // and the migration share one connection of their own: holding a pooled connection for the lock
    // while the migration waits for another would hang a pool of one for ever.
    async migrate() {
      const session = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 5 })
      try {
        await session`select pg_advisory_lock(${MIGRATION_LOCK})`
        await migrate(drizzle(session, { schema }), { migrationsFolder })
      } finally {
        await session`select pg_advisory_unlock(${MIGRATION_LOCK})`.catch(() => {})
        await session.end({ timeout: 5 })
      }
    },
    close: async () => {
      await Promise.all([client.end({ timeout: 5 }), writerClient.close({ timeout: 5 })])
    },
  }
}

/** What postgres.js gives a query, a transaction or a savepoint: `unsafe`, and `begin` or `savepoint`. */
interface Runner {
  unsafe(query: string, args?: unknown[], opts?: object): unknown
  begin?: (...args: unknown[]) => Promise<unknown>
  savepoint?: (...args: unknown[]) => Promise<unknown>
}

/**
 * drizzle runs every query unnamed, and postgres.js then describes each parameterised statement
 * before executing it: two round trips per query. Named statements are described once per connection
 * and afterwards cost one round trip; this makes drizzle's queries named, in transactions too. The
 * statements are the application's own (a bounded set of shapes), so the per-connection cache stays
 * small.
 */
function preparing<C>(client: C): C {
  const sql = client as unknown as Runner
  const unsafe = sql.unsafe.bind(sql)
  sql.unsafe = (query, args, opts) => unsafe(query, args, { ...opts, prepare: true })
  for (const key of ['begin', 'savepoint'] as const) {
    const open = sql[key]?.bind(sql)
    if (!open) continue
    sql[key] = (...a: unknown[]) => {
      const fn = a.pop() as (tx: unknown) => unknown
      return open(...a, (tx: unknown) => fn(preparing(tx)))
    }
  }
  return client
}
