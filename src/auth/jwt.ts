// HS256 JWTs: minting (CLI, tests) and verifying into a Principal. Claims: sub, tenant_id, exp, name?, scope?
import { errors, jwtVerify, SignJWT } from 'jose'
import { ID_PATTERN, type Principal, parseScopes, type Scope, sharedScopes } from './principal.ts'

export interface TokenClaims {
  tenantId: string
  userId: string
  name?: string
  scopes?: readonly Scope[]
  /** Lifetime in seconds (default 1 hour). */
  ttlSeconds?: number
}

const keyOf = (secret: string) => new TextEncoder().encode(secret)

/** The verifying key, imported once per secret (importing it on every request showed in profiles). */
const verifyKeys = new Map<string, Promise<CryptoKey>>()
function verifyKeyOf(secret: string): Promise<CryptoKey> {
  let key = verifyKeys.get(secret)
  if (!key) {
    key = crypto.subtle.importKey('raw', keyOf(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
      'verify',
    ])
    verifyKeys.set(secret, key)
  }
  return key
}

export async function signToken(secret: string, claims: TokenClaims): Promise<string> {
  const jwt = new SignJWT({
    tenant_id: claims.tenantId,
    ...(claims.name ? { name: claims.name } : {}),
    ...(claims.scopes ? { scope: claims.scopes.join(' ') } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.userId)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (claims.ttlSeconds ?? 3600))
  return jwt.sign(keyOf(secret))
}

export class InvalidTokenError extends Error {}

/** Most verified tokens remembered per secret; past it the oldest is forgotten first. */
const VERIFIED_CACHE_SIZE = 10_000
const verified = new Map<string, Map<string, Principal>>()

/**
 * Throws InvalidTokenError with a message safe to show the caller. A token that verified once is
 * remembered (the same token string, the same secret) until its `exp`, so a client sending it on
 * every request pays for the signature check once; a different or changed token is checked afresh.
 * With `remember` false a known token is still answered from memory, but a new one is not added.
 */
export async function verifyToken(
  secret: string,
  token: string,
  remember = true,
): Promise<Principal> {
  let known = verified.get(secret)
  const hit = known?.get(token)
  if (hit && (hit.expiresAt ?? 0) * 1000 > Date.now()) return hit
  if (hit) known?.delete(token)
  const principal = await verifySignedToken(secret, token)
  if (remember && principal.expiresAt !== undefined) {
    if (!known) {
      known = new Map()
      verified.set(secret, known)
    }
    if (known.size >= VERIFIED_CACHE_SIZE) known.delete(known.keys().next().value as string)
    known.set(token, principal)
  }
  return principal
}

async function verifySignedToken(secret: string, token: string): Promise<Principal> {
  let payload: Awaited<ReturnType<typeof jwtVerify>>['payload']
  try {
    ;({ payload } = await jwtVerify(token, await verifyKeyOf(secret), {
      algorithms: ['HS256'],
      requiredClaims: ['exp', 'sub'],
    }))
  } catch (err) {
    if (err instanceof errors.JWTExpired) throw new InvalidTokenError('Token has expired')
    if (err instanceof errors.JWSSignatureVerificationFailed)
      throw new InvalidTokenError('Token signature is invalid')
    if (err instanceof errors.JWTClaimValidationFailed)
      throw new InvalidTokenError(`Token claim "${err.claim}" is missing or invalid`)
    throw new InvalidTokenError('Token is malformed')
  }
  const tenantId = payload.tenant_id
  if (typeof tenantId !== 'string' || !ID_PATTERN.test(tenantId)) {
    throw new InvalidTokenError('Token claim "tenant_id" is missing or invalid')
  }
  if (typeof payload.sub !== 'string' || !ID_PATTERN.test(payload.sub)) {
    throw new InvalidTokenError('Token claim "sub" is missing or invalid')
  }
  const rawScope = payload.scope
  const isScopeList = Array.isArray(rawScope) && rawScope.every((s) => typeof s === 'string')
  if (rawScope !== undefined && typeof rawScope !== 'string' && !isScopeList) {
    throw new InvalidTokenError('Token claim "scope" must be a space-separated string')
  }
  const scopes = parseScopes(rawScope as string | string[] | undefined)
  if (!scopes) throw new InvalidTokenError('Token claim "scope" names an unknown scope')
  if (
    payload.name !== undefined &&
    (typeof payload.name !== 'string' || payload.name.length > 200)
  ) {
    throw new InvalidTokenError('Token claim "name" must be a string of at most 200 characters')
  }
  for (const claim of ['exp', 'nbf', 'iat'] as const) {
    const v = payload[claim]
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) {
      throw new InvalidTokenError(`Token claim "${claim}" must be a number of seconds`)
    }
  }
  // Shared by every request that sends this token (see verifyToken): never changed after this.
  return Object.freeze({
    tenantId,
    userId: payload.sub,
    ...(typeof payload.name === 'string' ? { name: payload.name } : {}),
    scopes: sharedScopes(scopes),
    via: 'jwt',
    ...(payload.exp !== undefined ? { expiresAt: payload.exp } : {}),
  } as const)
}
