// Test databases: one in-memory PGlite and, with DATABASE_URL, one fresh PostgreSQL database per run.
import type { Database } from '../../src/db/database.ts'
import { openPglite } from '../../src/db/pglite.ts'
import { openPostgres } from '../../src/db/postgres.ts'
import { createFreshDatabase } from '../harness/database.ts'
import { postgresUrl } from './env.ts'

export interface Backend {
  name: 'pglite' | 'postgres'
  isAvailable: boolean
  /** The run's shared, migrated database of this kind; tests isolate themselves by tenant id. */
  open(): Promise<Database>
}

const opened = new Map<string, Promise<Database>>()
const cleanups: (() => Promise<void>)[] = []

function once(name: string, make: () => Promise<Database>): Promise<Database> {
  let db = opened.get(name)
  if (!db) {
    db = make()
    opened.set(name, db)
  }
  return db
}

export const pgliteBackend: Backend = {
  name: 'pglite',
  isAvailable: true,
  open: () =>
    once('pglite', async () => {
      const db = await openPglite(undefined)
      await db.migrate()
      cleanups.push(() => db.close())
      return db
    }),
}

export const postgresBackend: Backend = {
  name: 'postgres',
  isAvailable: postgresUrl !== undefined,
  open: () => once('postgres', () => freshPostgres(postgresUrl as string)),
}

export const backends: Backend[] = [pgliteBackend, postgresBackend]

/** Creates an empty `puo_test_<random>` database beside the admin URL's; it is dropped at the end of the run. */
export async function freshPostgresUrl(adminUrl: string): Promise<string> {
  const fresh = await createFreshDatabase(adminUrl, 'puo_test')
  cleanups.push(fresh.drop)
  return fresh.url
}

/** A fresh, migrated PostgreSQL database (see freshPostgresUrl). */
export async function freshPostgres(adminUrl: string): Promise<Database> {
  const db = openPostgres({ url: await freshPostgresUrl(adminUrl), max: 10 })
  await db.migrate()
  cleanups.push(() => db.close())
  return db
}

export async function closeTestDatabases(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {})
  opened.clear()
}
