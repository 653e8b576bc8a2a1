// Turns request credentials (Bearer JWT or X-API-Key) into a Principal, or throws a 401 ApiError.

import { findApiKeyByHash, touchApiKey } from '../api-keys/queries.ts'
import { hashApiKey, looksLikeApiKey } from '../api-keys/secret.ts'
import type { Db } from '../db/database.ts'
import { unauthorized } from '../http/errors.ts'
import type { Logger } from '../telemetry/logger.ts'
import { InvalidTokenError, verifyToken } from './jwt.ts'
import { type Principal, parseScopes, sharedScopes } from './principal.ts'

export interface AuthDeps {
  db: Db
  jwtSecret: string
  log: Logger
  /**
   * Remember verified JWTs (default true): right for requests, which send the same token again and
   * again; a socket verifies its token once, and remembering it would only hold memory per socket.
   */
  rememberTokens?: boolean
}

export interface Credentials {
  authorization?: string | null
  apiKey?: string | null
}

export async function authenticate(deps: AuthDeps, creds: Credentials): Promise<Principal> {
  if (creds.authorization) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(creds.authorization)
    if (!m?.[1]) throw unauthorized('Authorization header must be "Bearer <token>"')
    return fromToken(deps, m[1])
  }
  if (creds.apiKey) return fromApiKey(deps, creds.apiKey.trim())
  throw unauthorized(
    'Missing credentials: send "Authorization: Bearer <JWT>" or "X-API-Key: <key>"',
  )
}

/** A bare token (e.g. a `?token=` query parameter) may be either a JWT or an API key. */
export function fromToken(deps: AuthDeps, token: string): Promise<Principal> {
  if (looksLikeApiKey(token)) return fromApiKey(deps, token)
  return verifyToken(deps.jwtSecret, token, deps.rememberTokens ?? true).catch((err: unknown) => {
    if (err instanceof InvalidTokenError) throw unauthorized(err.message)
    throw err
  })
}

async function fromApiKey(deps: AuthDeps, key: string): Promise<Principal> {
  if (!looksLikeApiKey(key)) throw unauthorized('API key is malformed')
  const row = await findApiKeyByHash(deps.db, hashApiKey(key))
  if (!row) throw unauthorized('API key is not valid')
  if (row.revokedAt) throw unauthorized('API key has been revoked')
  const scopes = parseScopes(row.scopes) ?? []
  touchApiKey(deps.db, row.id, new Date()).catch((err: unknown) =>
    deps.log.warn('could not record API key use', { keyId: row.id, err }),
  )
  return {
    tenantId: row.tenantId,
    userId: row.userId,
    scopes: sharedScopes(scopes),
    via: 'api_key',
    keyId: row.id,
  }
}
