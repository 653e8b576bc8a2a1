// API key management as plain functions, used by the HTTP controller and the CLI alike.

import type { Scope } from '../auth/principal.ts'
import type { Db } from '../db/database.ts'
import type { ApiKeyRow } from '../db/schema.ts'
import { insertApiKey, listApiKeys, revokeApiKey } from './queries.ts'
import { generateApiKey } from './secret.ts'

export interface ApiKeyDto {
  id: string
  tenantId: string
  userId: string
  name: string
  prefix: string
  scopes: string[]
  createdAt: string
  revokedAt: string | null
  lastUsedAt: string | null
}

export function toApiKeyDto(row: ApiKeyRow): ApiKeyDto {
  return {
    id: row.id,
    tenantId: row.tenantId,
    userId: row.userId,
    name: row.name,
    prefix: row.prefix,
    scopes: row.scopes,
    createdAt: row.createdAt.toISOString(),
    revokedAt: row.revokedAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  }
}

export interface CreateApiKeyInput {
  tenantId: string
  userId: string
  name: string
  scopes: readonly Scope[]
}

/** Returns the key in clear text once; afterwards only its prefix is known. */
export async function createApiKey(
  db: Db,
  input: CreateApiKeyInput,
): Promise<ApiKeyDto & { key: string }> {
  const { key, prefix, hash } = generateApiKey()
  const row = await insertApiKey(db, {
    id: Bun.randomUUIDv7(),
    tenantId: input.tenantId,
    userId: input.userId,
    name: input.name,
    prefix,
    keyHash: hash,
    scopes: [...input.scopes],
    createdAt: new Date(),
  })
  return { ...toApiKeyDto(row), key }
}

export async function listKeys(db: Db, tenantId: string): Promise<ApiKeyDto[]> {
  return (await listApiKeys(db, tenantId)).map(toApiKeyDto)
}

export async function revokeKey(
  db: Db,
  tenantId: string,
  idOrPrefix: string,
): Promise<ApiKeyDto | undefined> {
  const row = await revokeApiKey(db, tenantId, idOrPrefix, new Date())
  return row ? toApiKeyDto(row) : undefined
}
