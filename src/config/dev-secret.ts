// Picks the JWT secret: JWT_SECRET when set, otherwise a development secret generated once into DATA_DIR.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Config } from './load.ts'

export interface JwtSecret {
  value: string
  /** true when the secret was read from or written to DATA_DIR rather than given by JWT_SECRET. */
  isGenerated: boolean
}

/** Never called with NODE_ENV=production and no JWT_SECRET: loadConfig refuses that already. */
export function resolveJwtSecret(config: Pick<Config, 'JWT_SECRET' | 'DATA_DIR'>): JwtSecret {
  if (config.JWT_SECRET) return { value: config.JWT_SECRET, isGenerated: false }
  const file = join(config.DATA_DIR, 'dev-jwt-secret')
  if (existsSync(file)) {
    const value = readFileSync(file, 'utf8').trim()
    if (value.length >= 32) return { value, isGenerated: true }
  }
  mkdirSync(config.DATA_DIR, { recursive: true })
  const value = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url')
  writeFileSync(file, `${value}\n`, { mode: 0o600 })
  chmodSync(file, 0o600)
  return { value, isGenerated: true }
}
