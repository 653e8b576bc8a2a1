// Turns a schema violation into messages a client can act on: which parameter, and what it must be.
import type { ValidationError } from 'elysia'
import type { ErrorDetail } from '../errors.ts'

interface SchemaLike {
  type?: string
  const?: unknown
  anyOf?: SchemaLike[]
  format?: string
  minimum?: number
  maximum?: number
  minLength?: number
  maxLength?: number
  maxItems?: number
  pattern?: string
  /** The parameter's name, for schemas checked on their own (Elysia's coerced query values). */
  title?: string
  items?: SchemaLike
}

interface TypeBoxError {
  type?: number
  path?: string
  schema?: SchemaLike
  message?: string
}

// TypeBox ValueErrorType numbers used below.
const ADDITIONAL_PROPERTY = 42
const MIN_PROPERTIES = 44
const REQUIRED_PROPERTY = 45

const FORMATS: Record<string, string> = {
  uuid: 'a UUID',
  'date-time': 'an ISO 8601 date-time such as 2026-01-31T12:00:00Z',
  integer: 'an integer',
}

/** What a value must be, in words: "one of: private, team", "an integer from 1 to 100". */
export function describeSchema(s: SchemaLike): string {
  if (s.anyOf) {
    const consts = s.anyOf.filter((b) => b.const !== undefined).map((b) => String(b.const))
    if (consts.length === s.anyOf.length) return `one of: ${consts.join(', ')}`
    // Elysia widens coerced query numbers into "numeric string | integer": describe the number.
    const numeric = s.anyOf.find((b) => b.type === 'integer' || b.type === 'number')
    if (numeric) return describeSchema({ ...numeric, ...range(s) })
    return s.anyOf.map(describeSchema).join(' or ')
  }
  if (s.const !== undefined) return JSON.stringify(s.const)
  switch (s.type) {
    case 'integer':
    case 'number': {
      const what = s.type === 'integer' ? 'an integer' : 'a number'
      if (s.minimum !== undefined && s.maximum !== undefined)
        return `${what} from ${s.minimum} to ${s.maximum}`
      if (s.minimum !== undefined) return `${what} of at least ${s.minimum}`
      if (s.maximum !== undefined) return `${what} of at most ${s.maximum}`
      return what
    }
    case 'string': {
      const format = s.format ? FORMATS[s.format] : undefined
      if (format) return format
      if (s.pattern) return 'an id of 1 to 128 letters, digits or ._:@|+-'
      if (s.minLength !== undefined && s.maxLength !== undefined)
        return `a string of ${s.minLength} to ${s.maxLength} characters`
      if (s.maxLength !== undefined) return `a string of at most ${s.maxLength} characters`
      return 'a string'
    }
    case 'array':
      return `a list${s.maxItems !== undefined ? ` of at most ${s.maxItems}` : ''}${s.items ? ` items, each ${describeSchema(s.items)}` : ''}`
    case 'object':
      return 'an object'
    case 'boolean':
      return 'true or false'
    case 'null':
      return 'null'
    default:
      return 'a valid value'
  }
}

const range = (s: SchemaLike): SchemaLike => ({
  ...(s.minimum !== undefined ? { minimum: s.minimum } : {}),
  ...(s.maximum !== undefined ? { maximum: s.maximum } : {}),
})

/** One detail per distinct violation (at most 20), each naming the parameter by JSON Pointer. */
export function validationDetails(error: ValidationError): ErrorDetail[] {
  const raw = error.all as TypeBoxError[]
  const errors = raw.length > 0 ? raw : [error.valueError as TypeBoxError]
  const seen = new Set<string>()
  const out: ErrorDetail[] = []
  for (const e of errors) {
    if (!e) continue
    const path = e.path || (e.schema?.title ? `/${e.schema.title}` : '/')
    const detail = { path, message: describeError(e, path) }
    // A union reports its own failure and each branch's: the first message per path suffices.
    if (seen.has(path)) continue
    seen.add(path)
    out.push(detail)
  }
  return out.slice(0, 20)
}

function describeError(e: TypeBoxError, path: string): string {
  const name = path === '/' ? 'the value' : decodeSegment(path.slice(path.lastIndexOf('/') + 1))
  switch (e.type) {
    case ADDITIONAL_PROPERTY:
      return `${name} is not a known field`
    case REQUIRED_PROPERTY:
      return `${name} is required`
    case MIN_PROPERTIES:
      return 'at least one field must be given'
  }
  return e.schema ? `${name} must be ${describeSchema(e.schema)}` : (e.message ?? 'invalid value')
}

function decodeSegment(segment: string): string {
  return segment.replaceAll('~1', '/').replaceAll('~0', '~')
}
