// API keys as credentials: a key sent with a request becomes its principal; its use is noted, never awaited.
import type { ApiKeyCheck } from '../auth/authenticate.ts'
import { parseScopes, sharedScopes } from '../auth/principal.ts'
import type { Db } from '../db/database.ts'
import { unauthenticated } from '../errors.ts'
import type { Logger } from '../telemetry/logger.ts'
import { findApiKeyByHash, touchApiKey } from './queries.ts'
import { hashApiKey, looksLikeApiKey } from './secret.ts'

export function apiKeyCheck(db: Db, log: Logger): ApiKeyCheck {
  return {
    isKeyShaped: looksLikeApiKey,
    async principalOf(key) {
      if (!looksLikeApiKey(key)) throw unauthenticated('API key is malformed')
      const row = await findApiKeyByHash(db, hashApiKey(key))
      if (!row) throw unauthenticated('API key is not valid')
      if (row.revokedAt) throw unauthenticated('API key has been revoked')
      touchApiKey(db, row.id, new Date()).catch((err: unknown) =>
        log.warn('could not record API key use', { keyId: row.id, err }),
      )
      return {
        tenantId: row.tenantId,
        userId: row.userId,
        scopes: sharedScopes(parseScopes(row.scopes) ?? []),
        via: 'api_key',
        keyId: row.id,
      }
    },
  }
}
