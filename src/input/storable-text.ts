// Finds text PostgreSQL cannot store (NUL characters, unpaired UTF-16 surrogates) anywhere in a
// parsed value, so the request is refused with the field's name instead of failing in the database.

/** A high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** True when PostgreSQL's text and jsonb types can hold `s` unchanged (no NUL, no lone surrogate). */
export function isStorableText(s: string): boolean {
  return !s.includes('\u0000') && !LONE_SURROGATE.test(s)
}

/**
 * Walks `value` (strings, object keys and values, array items) iteratively and returns the JSON
 * Pointer of the first string that is not storable, or null. `prefix` is prepended to the pointer.
 */
export function findUnstorableText(value: unknown, prefix = ''): string | null {
  const stack: [unknown, string][] = [[value, prefix]]
  while (stack.length > 0) {
    const [v, path] = stack.pop() as [unknown, string]
    if (typeof v === 'string') {
      if (!isStorableText(v)) return path || '/'
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}/${i}`])
    } else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v)
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, item] = entries[i] as [string, unknown]
        const at = `${path}/${escapePointer(k)}`
        if (!isStorableText(k)) return at
        stack.push([item, at])
      }
    }
  }
  return null
}

/** RFC 6901 escaping of one pointer segment. */
function escapePointer(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1')
}
