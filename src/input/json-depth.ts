// Measures how deeply a JSON text nests, without parsing it, so a hostile depth is refused before
// JSON.parse, the schema validator or the database ever recurse into it.

export interface DepthViolation {
  /** The top-level member (of an object) or index (of an array) under which the limit was passed. */
  path: string
}

/**
 * Scans `text` once, iteratively (no recursion, so any depth is safe to measure), and returns where
 * nesting first exceeds `maxDepth` levels of objects and arrays, or null when it never does. The
 * outermost value is level 1. Invalid JSON is not judged here: the parser reports it afterwards.
 */
export function findTooDeep(text: string, maxDepth: number): DepthViolation | null {
  let depth = 0
  let inString = false
  // The path segment at level 1: the last key read directly inside a top-level object, or the index.
  let topKey = ''
  let topIndex = 0
  let isTopArray = false
  let keyStart = -1
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c)
        i++ // backslash: skip the escaped character
      else if (c === 0x22) {
        inString = false
        if (depth === 1 && keyStart >= 0) {
          topKey = text.slice(keyStart, i)
          keyStart = -1
        }
      }
      continue
    }
    switch (c) {
      case 0x22: // "
        inString = true
        // Inside the top-level object, a string that follows `{` or `,` is a key.
        if (depth === 1 && !isTopArray && isKeyPosition(text, i)) keyStart = i + 1
        break
      case 0x7b: // {
      case 0x5b: // [
        depth++
        if (depth === 1) isTopArray = c === 0x5b
        if (depth > maxDepth) {
          return { path: depth === 1 ? '/' : `/${isTopArray ? topIndex : unescapeKey(topKey)}` }
        }
        break
      case 0x7d: // }
      case 0x5d: // ]
        depth--
        break
      case 0x2c: // ,
        if (depth === 1 && isTopArray) topIndex++
        break
    }
  }
  return null
}

function isKeyPosition(text: string, quote: number): boolean {
  for (let j = quote - 1; j >= 0; j--) {
    const c = text.charCodeAt(j)
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue
    return c === 0x7b || c === 0x2c
  }
  return false
}

function unescapeKey(raw: string): string {
  try {
    return JSON.parse(`"${raw}"`) as string
  } catch {
    return raw
  }
}
