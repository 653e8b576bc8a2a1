// Instants PostgreSQL and JavaScript both represent exactly: years 1 to 9999, UTC.

const MIN = Date.UTC(1, 0, 1) // 0001-01-01T00:00:00Z
const MAX = Date.UTC(9999, 11, 31, 23, 59, 59, 999)

/** The date for `text`, or null when it is not a date or falls outside years 1–9999. */
export function parseInstant(text: string): Date | null {
  const d = new Date(text)
  const t = d.getTime()
  return Number.isNaN(t) || t < MIN || t > MAX ? null : d
}
