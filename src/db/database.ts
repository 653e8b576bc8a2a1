// The database seam: one drizzle API over two drivers (embedded PGlite, PostgreSQL via postgres.js).

import type { ExtractTablesWithRelations } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core'
import type * as schema from './schema.ts'

type Schema = typeof schema

/** The drizzle handle both drivers produce; queries written against it run on either. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>

export interface Database {
  readonly db: Db
  readonly driver: 'pglite' | 'postgres'
  /**
   * The same database, through statements that are planned on every run rather than once per
   * connection. For queries over tables whose size swings (the embedding queue, the memories a batch
   * of results lands on): a plan cached while a table was small scans it whole once it is large.
   */
  readonly replanning: Db
  /**
   * The same database through one connection of its own, for the statements an instance sends one
   * at a time (group commit's creates): they always reach the same server process, whose caches are
   * warm and which prepared them once. Through the pool they went round every connection in turn.
   */
  readonly writer: Db
  /** Resolves when the database answers a trivial query; rejects otherwise. */
  ping(): Promise<void>
  /** Applies pending migrations from src/db/migrations; safe to call on every boot. */
  migrate(): Promise<void>
  close(): Promise<void>
}

export const migrationsFolder = new URL('./migrations', import.meta.url).pathname
