// Opaque pagination cursors: the (created_at, id) of the last row a page returned.
import { parseInstant } from '../input/instant.ts'

export interface CursorPosition {
  createdAt: Date
  id: string
}

export function encodeCursor(row: CursorPosition): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url')
}

/** Returns null for anything this API did not produce. */
export function decodeCursor(cursor: string): CursorPosition | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
    if (!Array.isArray(value) || value.length !== 2) return null
    const [at, id] = value
    if (typeof at !== 'string' || typeof id !== 'string') return null
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return null
    const createdAt = parseInstant(at)
    return createdAt ? { createdAt, id } : null
  } catch {
    return null
  }
}
