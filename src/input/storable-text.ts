// Finds text PostgreSQL cannot store (NUL characters, unpaired UTF-16 surrogates) anywhere in a
// parsed value, so the request is refused with the field's name instead of failing in the database.

/** A high surrogate not followed by a low one, or a low surrogate not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** True when PostgreSQL's text and jsonb types can hold `s` unchanged (no NUL, no lone surrogate). */
export function isStorableText(s: string): boolean {
  return !s.includes('\u0000') && !LONE_SURROGATE.test(s)
}

/** Where a value sits: its parent's place and its own key or index. */
interface Place {
  parent: Place | null
  segment: string | number
}

/**
 * Walks `value` (strings, object keys and values, array items) iteratively and returns the JSON
 * Pointer of the first string that is not storable, or null. `prefix` is prepended to the pointer.
 * Every request body passes through here, so the pointer is spelled out only for the one it returns.
 */
export function findUnstorableText(value: unknown, prefix = ''): string | null {
  const stack: [unknown, Place | null][] = [[value, null]]
  while (stack.length > 0) {
    const [v, at] = stack.pop() as [unknown, Place | null]
    if (typeof v === 'string') {
      if (!isStorableText(v)) return pointer(prefix, at) || '/'
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], { parent: at, segment: i }])
    } else if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v)
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i] as string
        const place = { parent: at, segment: key }
        if (!isStorableText(key)) return pointer(prefix, place)
        stack.push([(v as Record<string, unknown>)[key], place])
      }
    }
  }
  return null
}

/** The JSON Pointer of a place, after `prefix`. */
function pointer(prefix: string, at: Place | null): string {
  let path = ''
  for (let p = at; p; p = p.parent) {
    const segment = typeof p.segment === 'number' ? `${p.segment}` : escapePointer(p.segment)
    path = `/${segment}${path}`
  }
  return prefix + path
}

/** RFC 6901 escaping of one pointer segment. */
function escapePointer(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1')
}
