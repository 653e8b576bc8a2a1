// Chooses the database driver from config: PostgreSQL when DATABASE_URL is set, else PGlite in DATA_DIR.
import { join } from 'node:path'
import type { Config } from '../config/load.ts'
import type { Database } from './database.ts'
import { openPglite } from './pglite.ts'
import { openPostgres } from './postgres.ts'

export type { Database, Db, Tx } from './database.ts'

export async function openDatabase(
  config: Pick<Config, 'DATABASE_URL' | 'DATA_DIR' | 'DATABASE_POOL_SIZE'>,
): Promise<Database> {
  if (config.DATABASE_URL) {
    return openPostgres({ url: config.DATABASE_URL, max: config.DATABASE_POOL_SIZE })
  }
  return openPglite(join(config.DATA_DIR, 'pglite'))
}
