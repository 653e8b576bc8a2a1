// Who is calling: the tenant and user taken from a verified credential, and what they may do.

export const SCOPES = ['read', 'write', 'admin'] as const
export type Scope = (typeof SCOPES)[number]

export interface Principal {
  tenantId: string
  userId: string
  name?: string
  /** `admin` implies `read` and `write`. */
  scopes: readonly Scope[]
  via: 'jwt' | 'api_key'
  /** For JWTs: expiry in epoch seconds. */
  expiresAt?: number
  /** For API keys: the key's id. */
  keyId?: string
}

/** Credentials with no scope claim get read and write. */
export const DEFAULT_SCOPES: readonly Scope[] = ['read', 'write']

const sharedLists = new Map<string, readonly Scope[]>()

/**
 * One frozen list per distinct set of scopes, shared by every principal that has it: a frozen array
 * per connection costs more memory than the rest of the principal.
 */
export function sharedScopes(scopes: readonly Scope[]): readonly Scope[] {
  const key = scopes.join(' ')
  let list = sharedLists.get(key)
  if (!list) {
    list = Object.freeze([...scopes])
    sharedLists.set(key, list)
  }
  return list
}

export function hasScope(p: Principal, scope: Scope): boolean {
  return p.scopes.includes('admin') || p.scopes.includes(scope)
}

/** Tenant and user ids are opaque, but bounded: 1–128 printable characters without spaces. */
export const ID_PATTERN = /^[A-Za-z0-9._:@|+-]{1,128}$/

export function parseScopes(raw: string | readonly string[] | undefined): Scope[] | null {
  if (raw === undefined) return [...DEFAULT_SCOPES]
  const list = typeof raw === 'string' ? raw.split(/[\s,]+/).filter(Boolean) : [...raw]
  if (list.length === 0) return [...DEFAULT_SCOPES]
  const out: Scope[] = []
  for (const s of list) {
    if (!(SCOPES as readonly string[]).includes(s)) return null
    if (!out.includes(s as Scope)) out.push(s as Scope)
  }
  return out
}
