// The one place errors become HTTP responses: {error:{code,message,details?}}, never a stack trace.
import { Elysia, ValidationError } from 'elysia'
import type { Logger } from '../telemetry/logger.ts'
import { isDatabaseUnavailable } from './db-errors.ts'
import { ApiError, type ErrorDetail } from './errors.ts'

export function errorBody(code: string, message: string, details?: ErrorDetail[]) {
  return { error: { code, message, ...(details ? { details } : {}) } }
}

export function jsonError(
  status: number,
  code: string,
  message: string,
  details?: ErrorDetail[],
  headers?: Record<string, string>,
): Response {
  return Response.json(errorBody(code, message, details), {
    status,
    ...(headers ? { headers } : {}),
  })
}

export function errorHandler(log: Logger) {
  return new Elysia({ name: 'error-handler' }).onError(
    { as: 'global' },
    ({ code, error: raw, request }) => {
      // Errors thrown while parsing the body arrive wrapped in Elysia's ParseError.
      const error = code === 'PARSE' && raw.cause instanceof ApiError ? raw.cause : raw
      if (error instanceof ApiError) {
        return jsonError(error.status, error.code, error.message, error.details, error.headers)
      }
      if (error instanceof ValidationError) {
        const details = validationDetails(error)
        const where = error.type === 'property' ? 'request' : error.type
        return jsonError(
          422,
          'validation_failed',
          `Invalid ${where}: ${details[0]?.message ?? 'schema violation'}`,
          details,
        )
      }
      switch (code) {
        case 'PARSE':
          return jsonError(400, 'malformed_json', 'Request body is not valid JSON')
        case 'NOT_FOUND': {
          const { pathname } = new URL(request.url)
          return jsonError(404, 'not_found', `No route for ${request.method} ${pathname}`)
        }
      }
      if (isDatabaseUnavailable(error)) {
        log.warn('database unavailable', { err: error })
        return jsonError(
          503,
          'database_unavailable',
          'The database is unreachable; retry shortly',
          undefined,
          {
            'retry-after': '5',
          },
        )
      }
      log.error('unhandled error', {
        err: error,
        method: request.method,
        url: new URL(request.url).pathname,
      })
      return jsonError(500, 'internal_error', 'Something went wrong on our side')
    },
  )
}

function validationDetails(error: ValidationError): ErrorDetail[] {
  let fallbackPath = ''
  try {
    const parsed = JSON.parse(error.message) as { property?: string }
    fallbackPath = parsed.property && parsed.property !== 'root' ? parsed.property : ''
  } catch {}
  const seen = new Set<string>()
  const out: ErrorDetail[] = []
  for (const e of error.all) {
    const path = ('path' in e && e.path) || fallbackPath || '/'
    const message = 'summary' in e && e.summary ? e.summary : e.message
    const key = `${path}\u0000${message}`
    if (seen.has(key)) continue
    seen.add(key)
    out.push({ path, message })
  }
  return out.slice(0, 20)
}
