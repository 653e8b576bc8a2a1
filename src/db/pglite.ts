// Embedded PostgreSQL (PGlite): the default when DATABASE_URL is unset. One process owns the data dir
// (data-dir-lock.ts).
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { sql } from 'drizzle-orm'
import { drizzle } from 'drizzle-orm/pglite'
import { migrate } from 'drizzle-orm/pglite/migrator'
import { lockDataDir } from './data-dir-lock.ts'
import { type Database, type Db, migrationsFolder } from './database.ts'
import * as schema from './schema.ts'

/** `dataDir` undefined keeps everything in memory (tests). */
export async function openPglite(dataDir: string | undefined): Promise<Database> {
  let lock: { release(): void } | undefined
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true })
    lock = lockDataDir(dirname(dataDir))
  }
  let client: PGlite
  try {
    client = dataDir ? await PGlite.create(dataDir) : await PGlite.create()
  } catch (err) {
    lock?.release()
    throw err
  }
  const db = drizzle(client, { schema })
  return {
    db: db as unknown as Db,
    driver: 'pglite',
    // PGlite runs every query as an unnamed statement: planned on each run already.
    replanning: db as unknown as Db,
    // One connection in the process: the writer is the same handle.
    writer: db as unknown as Db,
    ping: async () => {
      await db.execute(sql`select 1`)
    },
    migrate: () => migrate(db, { migrationsFolder }),
    close: async () => {
      await client.close()
      lock?.release()
    },
  }
}
