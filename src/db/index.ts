// Chooses the database driver: PostgreSQL at a URL, or PGlite in a data directory. Throws on an unknown driver.
import { join } from 'node:path'
import type { Database } from './database.ts'
import { openPglite } from './pglite.ts'
import { openPostgres } from './postgres.ts'

export type { Database, Db, Tx } from './database.ts'

export type DatabaseConfig =
  | { driver: 'postgres'; url: string; poolSize: number }
  /** The embedded database lives in `<dataDir>/pglite`. */
  | { driver: 'pglite'; dataDir: string }

export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  switch (config.driver) {
    case 'postgres':
      return openPostgres({ url: config.url, max: config.poolSize })
    case 'pglite':
      return openPglite(join(config.dataDir, 'pglite'))
    default: {
      const unknown: never = config
      throw new Error(`unknown database driver: ${JSON.stringify(unknown)}`)
    }
  }
}
