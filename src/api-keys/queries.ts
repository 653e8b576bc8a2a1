// API key rows: create, list, revoke, look up by hash, note last use.
import { and, desc, eq, isNotNull, isNull, lt, or } from 'drizzle-orm'
import type { Db } from '../db/database.ts'
import { inIdList } from '../db/id-list.ts'
import { perDatabase } from '../db/per-database.ts'
import { type ApiKeyRow, apiKeys } from '../db/schema.ts'

export type NewApiKey = Omit<ApiKeyRow, 'revokedAt' | 'lastUsedAt'>

export async function insertApiKey(db: Db, row: NewApiKey): Promise<ApiKeyRow> {
  const [out] = await db.insert(apiKeys).values(row).returning()
  if (!out) throw new Error('api key insert returned no row')
  return out
}

export function listApiKeys(db: Db, tenantId: string): Promise<ApiKeyRow[]> {
  return db
    .select()
    .from(apiKeys)
    .where(eq(apiKeys.tenantId, tenantId))
    .orderBy(desc(apiKeys.createdAt))
}

export async function findApiKeyByHash(db: Db, keyHash: string): Promise<ApiKeyRow | undefined> {
  const [row] = await db.select().from(apiKeys).where(eq(apiKeys.keyHash, keyHash)).limit(1)
  return row
}

/** Revokes by id or by prefix within the tenant; returns the row, or undefined if none matched. */
export async function revokeApiKey(
  db: Db,
  tenantId: string,
  idOrPrefix: string,
  at: Date,
): Promise<ApiKeyRow | undefined> {
  const match = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(idOrPrefix)
    ? eq(apiKeys.id, idOrPrefix)
    : eq(apiKeys.prefix, idOrPrefix)
  const [updated] = await db
    .update(apiKeys)
    .set({ revokedAt: at })
    .where(and(eq(apiKeys.tenantId, tenantId), match, isNull(apiKeys.revokedAt)))
    .returning()
  if (updated) return updated
  const [existing] = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.tenantId, tenantId), match))
    .limit(1)
  return existing
}

/** Writes last_used_at at most once per `granularityMs`, so busy keys cost no write per request. */
export async function touchApiKey(
  db: Db,
  id: string,
  at: Date,
  granularityMs = 60_000,
): Promise<void> {
  await db
    .update(apiKeys)
    .set({ lastUsedAt: at })
    .where(
      and(
        eq(apiKeys.id, id),
        or(
          isNull(apiKeys.lastUsedAt),
          lt(apiKeys.lastUsedAt, new Date(at.getTime() - granularityMs)),
        ),
      ),
    )
}

/** Revoked keys among the ids asked for, built once per database handle (see inIdList). */
const revokedStatement = perDatabase((db) =>
  db
    .select({ id: apiKeys.id })
    .from(apiKeys)
    .where(and(inIdList(apiKeys.id, 'ids', 'uuid'), isNotNull(apiKeys.revokedAt)))
    .prepare('api_keys_revoked_read'),
)

/** Which of these key ids have been revoked (ids that match no key are left out). */
export async function revokedAmong(db: Db, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return []
  const rows = await revokedStatement(db).execute({ ids: [...ids] })
  return rows.map((r) => r.id)
}
