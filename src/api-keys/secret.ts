// API key format and hashing: "pm_<prefix>_<secret>"; only the SHA-256 of the whole key is stored.

const PREFIX_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789'

export interface GeneratedKey {
  /** The key to hand to the user once; never stored. */
  key: string
  /** Public part shown in listings, e.g. "pm_k3x9a0q2". */
  prefix: string
  hash: string
}

export function generateApiKey(): GeneratedKey {
  const bytes = crypto.getRandomValues(new Uint8Array(8))
  const id = Array.from(bytes, (b) => PREFIX_CHARS[b % PREFIX_CHARS.length]).join('')
  const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(24))).toString('base64url')
  const prefix = `pm_${id}`
  const key = `${prefix}_${secret}`
  return { key, prefix, hash: hashApiKey(key) }
}

export function hashApiKey(key: string): string {
  return new Bun.CryptoHasher('sha256').update(key).digest('hex')
}

/** Cheap shape check before touching the database. */
export function looksLikeApiKey(value: string): boolean {
  return /^pm_[a-z0-9]{8}_[A-Za-z0-9_-]{32}$/.test(value)
}
