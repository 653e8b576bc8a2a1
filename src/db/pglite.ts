// Embedded PostgreSQL (PGlite): the default when DATABASE_URL is unset. One process owns the data dir.
import { PGlite } from '@electric-sql/pglite'
import { sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/pglite'
import { migrate } from 'drizzle-orm/pglite/migrator'
import { type Database, type Db, migrationsFolder } from './database.ts'
import * as schema from './schema.ts'

/** `dataDir` undefined keeps everything in memory (tests). */
export async function openPglite(dataDir: string | undefined): Promise<Database> {
  const client = dataDir ? await PGlite.create(dataDir) : await PGlite.create()
  const db = drizzle(client, { schema })
  return {
    db: db as unknown as Db,
    driver: 'pglite',
    ping: async () => {
      await db.execute(sql`select 1`)
    },
    migrate: () => migrate(db, { migrationsFolder }),
    close: () => client.close(),
  }
}
