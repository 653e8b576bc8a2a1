// Completes the generated OpenAPI document: request bodies (the generator drops them for the app's
// own JSON parser), the success bodies of routes that declare none (responses.ts), the error body,
// and the error statuses each kind of route can answer (one error handler answers them all alike).
import { SUCCESS } from './responses.ts'

/** A route as the router lists it: its body schema, when it takes one. */
export interface DocumentedRoute {
  method: string
  path: string
  hooks: { body?: unknown }
}

type Json = Record<string, unknown>
interface Operation {
  requestBody?: unknown
  parameters?: unknown[]
  responses?: Record<string, unknown>
}

const ErrorBody = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: {
          type: 'string',
          description: 'Stable, machine-readable (e.g. `validation_failed`)',
        },
        message: { type: 'string', description: 'For people; may change' },
        details: {
          type: 'array',
          description: 'Per-field problems (validation): `path` names the field',
          items: {
            type: 'object',
            properties: { path: { type: 'string' }, message: { type: 'string' } },
          },
        },
      },
    },
  },
}

const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
})

/** The error statuses a route can answer, from what it takes. */
function errorsOf(path: string, op: Operation): Record<string, unknown> {
  const isApi = path.startsWith('/api/')
  const out: Record<string, unknown> = {}
  if (op.requestBody) {
    out['400'] = error('The body is not valid JSON (`malformed_json`)')
    out['413'] = error('The body is larger than BODY_LIMIT (`payload_too_large`)')
    out['415'] = error('The body is not `application/json`')
  }
  if (isApi) {
    out['401'] = error('Missing, invalid, expired or revoked credential (`unauthorized`)')
    out['403'] = error('The credential lacks the scope this route needs (`forbidden`)')
  }
  if (path.includes('{')) out['404'] = error('No such resource visible to the caller (`not_found`)')
  if (op.requestBody || (op.parameters?.length ?? 0) > 0)
    out['422'] = error('A field is missing, malformed or out of range (`validation_failed`)')
  if (isApi || path.startsWith('/health'))
    out['503'] = error(
      'The database is unreachable; retry after `Retry-After` (`database_unavailable`)',
    )
  out['500'] = error('Something went wrong on the server (`internal_error`)')
  return out
}

/** `/memories/:id` as the document writes it: `/memories/{id}`. */
const documentPath = (path: string) => path.replace(/:([^/]+)/g, '{$1}')

/** Fills what the generator left out (idempotent: the document is cached and completed again). */
export function completeDocument(doc: unknown, routes: readonly DocumentedRoute[]): unknown {
  if (!doc || typeof doc !== 'object') return doc
  const d = doc as { paths?: Record<string, Record<string, Operation>>; components?: Json }
  d.components = d.components ?? {}
  const schemas = (d.components.schemas ?? {}) as Json
  schemas.Error = ErrorBody
  d.components.schemas = schemas
  for (const route of routes) {
    const op = d.paths?.[documentPath(route.path)]?.[route.method.toLowerCase()]
    const content = (op?.requestBody as { content?: Json } | undefined)?.content
    if (op && route.hooks.body && content && Object.keys(content).length === 0)
      content['application/json'] = { schema: route.hooks.body }
  }
  for (const [path, item] of Object.entries(d.paths ?? {})) {
    for (const [method, op] of Object.entries(item)) {
      if (!op || typeof op !== 'object') continue
      const responses = (op.responses ?? {}) as Record<string, unknown>
      const success = SUCCESS[`${method.toUpperCase()} ${path}`]
      if (success && !responses[success.status]) {
        const content =
          success.content ??
          (success.schema ? { 'application/json': { schema: success.schema } } : undefined)
        responses[success.status] = {
          description: success.description,
          ...(content ? { content } : {}),
        }
      }
      for (const [status, body] of Object.entries(errorsOf(path, op))) responses[status] ??= body
      op.responses = responses
    }
  }
  return doc
}
