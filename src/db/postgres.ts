// PostgreSQL through postgres.js: used when DATABASE_URL is set.
import { sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/postgres-js'
import { migrate } from 'drizzle-orm/postgres-js/migrator'
import postgres from 'postgres'
import { type Database, type Db, migrationsFolder } from './database.ts'
import * as schema from './schema.ts'

export interface PostgresOptions {
  url: string
  /** Pool size (default 10). */
  max?: number
}

export function openPostgres({ url, max = 10 }: PostgresOptions): Database {
  const client = postgres(url, {
    max,
    onnotice: () => {},
    connect_timeout: 5,
    idle_timeout: 60,
  })
  const db = drizzle(client, { schema })
  return {
    db: db as unknown as Db,
    driver: 'postgres',
    ping: async () => {
      await db.execute(sql`select 1`)
    },
    migrate: () => migrate(db, { migrationsFolder }),
    close: () => client.end({ timeout: 5 }),
  }
}
