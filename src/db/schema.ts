// The drizzle schema: one source for both PostgreSQL and PGlite; migrations are generated from it.
import { sql } from 'drizzle-orm'
import {
  bigint,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  real,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core'

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' })

export const memories = pgTable(
  'memories',
  {
    id: uuid('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    ownerId: text('owner_id').notNull(),
    title: text('title'),
    content: text('content').notNull(),
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    visibility: text('visibility', { enum: ['private', 'team'] }).notNull(),
    version: integer('version').notNull().default(1),
    /** Unit-length vector; null until the embedding job has run. */
    embedding: real('embedding').array(),
    embeddingStatus: text('embedding_status', { enum: ['pending', 'ready', 'failed'] })
      .notNull()
      .default('pending'),
    embeddingModel: text('embedding_model'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    index('memories_tenant_created_idx').on(t.tenantId, t.createdAt.desc(), t.id.desc()),
    index('memories_tags_idx').using('gin', t.tags),
    check('memories_visibility_check', sql`${t.visibility} in ('private', 'team')`),
  ],
)

/** Work queue for embeddings; a row exists while a memory's current content still needs one. */
export const embeddingJobs = pgTable(
  'embedding_jobs',
  {
    memoryId: uuid('memory_id')
      .primaryKey()
      .references(() => memories.id, { onDelete: 'cascade' }),
    tenantId: text('tenant_id').notNull(),
    attempts: integer('attempts').notNull().default(0),
    runAfter: ts('run_after').notNull(),
    claimedUntil: ts('claimed_until'),
    lastError: text('last_error'),
    /** W3C traceparent of the write that queued the job: the embedding's trace links to it. */
    trace: text('trace'),
  },
  (t) => [index('embedding_jobs_run_after_idx').on(t.runAfter)],
)

/**
 * The event log. A row is written in the same transaction as the memory change it describes;
 * `seq` increases by exactly one per committed event within a tenant, in commit order.
 */
export const events = pgTable(
  'events',
  {
    id: uuid('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    seq: bigint('seq', { mode: 'number' }).notNull(),
    type: text('type').notNull(),
    memoryId: uuid('memory_id').notNull(),
    ownerId: text('owner_id').notNull(),
    visibility: text('visibility', { enum: ['private', 'team'] }).notNull(),
    payload: jsonb('payload').$type<Record<string, unknown>>().notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [uniqueIndex('events_tenant_seq_idx').on(t.tenantId, t.seq)],
)

/** Last `seq` handed out per tenant; its row lock serialises a tenant's event writers until commit. */
export const tenantSeqs = pgTable('tenant_seqs', {
  tenantId: text('tenant_id').primaryKey(),
  seq: bigint('seq', { mode: 'number' }).notNull(),
})

/**
 * Names this event log. A position (`seq`) is meaningful only within its epoch: a reset or a
 * restored database gets a new one, so clients cannot resume into a different history. One row (id 1),
 * created by the first instance that needs it.
 */
export const logEpoch = pgTable('log_epoch', {
  id: integer('id').primaryKey(),
  epoch: uuid('epoch').notNull(),
  createdAt: ts('created_at').notNull(),
})

export const apiKeys = pgTable(
  'api_keys',
  {
    id: uuid('id').primaryKey(),
    tenantId: text('tenant_id').notNull(),
    userId: text('user_id').notNull(),
    name: text('name').notNull(),
    /** Shown to people so they can tell keys apart; not secret. */
    prefix: text('prefix').notNull(),
    /** SHA-256 of the whole key, hex. The key itself is never stored. */
    keyHash: text('key_hash').notNull(),
    scopes: text('scopes').array().notNull(),
    createdAt: ts('created_at').notNull(),
    revokedAt: ts('revoked_at'),
    lastUsedAt: ts('last_used_at'),
  },
  (t) => [
    uniqueIndex('api_keys_hash_idx').on(t.keyHash),
    uniqueIndex('api_keys_prefix_idx').on(t.prefix),
    index('api_keys_tenant_idx').on(t.tenantId),
  ],
)

export type MemoryRow = typeof memories.$inferSelect
export type EventRow = typeof events.$inferSelect
export type ApiKeyRow = typeof apiKeys.$inferSelect
export type Visibility = MemoryRow['visibility']
