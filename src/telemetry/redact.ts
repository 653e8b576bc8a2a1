// What a log line may hold: credentials and memory fields are censored at any depth, whatever the
// case of their names; errors are reduced to safe facts (a database error never shows its message).
import { databaseErrorInfo } from '../db/errors.ts'

/** Field names (compared lower-case) whose values never reach a log line, wherever they are nested. */
const CENSORED = new Set([
  'token',
  'authorization',
  'apikey',
  'api_key',
  'x-api-key',
  'key',
  'password',
  'secret',
  'jwtsecret',
  'cookie',
  'set-cookie',
  // Memory fields and statement parameters: user data, never operational facts.
  'title',
  'content',
  'metadata',
  'tags',
  'body',
  'params',
  'parameters',
  'payload',
])

const MAX_DEPTH = 6
const MAX_STRING = 2000

/** A copy of `value` fit for a log line (depth-bounded; cycles end as "[circular]"). */
export function redact(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string')
    return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value
  if (value === null || typeof value !== 'object') return value
  if (seen.has(value)) return '[circular]'
  if (depth >= MAX_DEPTH) return '[nested]'
  seen.add(value)
  if (value instanceof Error) return errorFacts(value, depth, seen)
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redact(v, depth + 1, seen))
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) {
    out[k] = CENSORED.has(k.toLowerCase()) ? '[redacted]' : redact(v, depth + 1, seen)
  }
  return out
}

function errorFacts(err: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
  const db = databaseErrorInfo(err)
  if (db) return { type: 'DatabaseError', ...definedOnly(db) }
  const code = (err as { code?: unknown }).code
  return {
    type: err.name,
    message: redact(err.message, depth + 1, seen),
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    ...(err.stack ? { stack: err.stack.split('\n').slice(0, 8).join('\n') } : {}),
    ...(err.cause !== undefined ? { cause: redact(err.cause, depth + 1, seen) } : {}),
  }
}

function definedOnly(o: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))
}
