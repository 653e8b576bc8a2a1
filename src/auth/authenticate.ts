// Turns request credentials (Bearer JWT or X-API-Key) into a Principal, or throws `unauthenticated`.
import { unauthenticated } from '../errors.ts'
import { InvalidTokenError, verifyToken } from './jwt.ts'
import type { Principal } from './principal.ts'

/** How an API key becomes a principal (src/api-keys/): auth knows neither the key format nor its table. */
export interface ApiKeyCheck {
  /** Whether a bare token has the shape of an API key (else it is read as a JWT). */
  isKeyShaped(token: string): boolean
  /** The key's principal; throws `unauthenticated` when the key is malformed, unknown or revoked. */
  principalOf(key: string): Promise<Principal>
}

export interface AuthDeps {
  jwtSecret: string
  apiKeys: ApiKeyCheck
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
    if (!m?.[1]) throw unauthenticated('Authorization header must be "Bearer <token>"')
    return fromToken(deps, m[1])
  }
  if (creds.apiKey) return deps.apiKeys.principalOf(creds.apiKey.trim())
  throw unauthenticated(
    'Missing credentials: send "Authorization: Bearer <JWT>" or "X-API-Key: <key>"',
  )
}

/** A bare token (e.g. a `?token=` query parameter) may be either a JWT or an API key. */
export function fromToken(deps: AuthDeps, token: string): Promise<Principal> {
  if (deps.apiKeys.isKeyShaped(token)) return deps.apiKeys.principalOf(token)
  return verifyToken(deps.jwtSecret, token, deps.rememberTokens ?? true).catch((err: unknown) => {
    if (err instanceof InvalidTokenError) throw unauthenticated(err.message)
    throw err
  })
}
