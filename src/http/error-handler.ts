// The one place errors become HTTP responses: {error:{code,message,details?}}, never a stack trace.
import { Elysia, ValidationError } from 'elysia'
import { databaseErrorInfo, isDatabaseUnavailable, isRejectedValue } from '../db/errors.ts'
import { DomainError, type ErrorDetail } from '../errors.ts'
import type { Logger } from '../telemetry/logger.ts'
import { requestIdOf } from '../telemetry/request-id.ts'
import { allowedMethods, type RouteList } from './allowed-methods.ts'
import { ApiError, httpFailure } from './errors.ts'
import { validationDetails } from './validation-details.ts'

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

const WHERE: Record<string, string> = { property: 'query', query: 'query', params: 'path' }

/** `routes` is read when an unmatched request arrives, to tell 404 from 405. */
export function errorHandler(log: Logger, routes: () => RouteList) {
  // The fields are named, not the whole context taken: Elysia parses, for every request, whatever
  // context a hook might read (see telemetry/http.ts).
  return new Elysia({ name: 'error-handler' }).onError(
    { as: 'global' },
    ({ code, error, request, set }) => {
      const response = toResponse({ code, error, request })
      // The status the client gets, for the request log and the HTTP metric (they read set.status).
      set.status = response.status
      return response
    },
  )

  function toResponse({
    code,
    error: raw,
    request,
  }: {
    code: string | number
    error: unknown
    request: Request
  }): Response {
    // Errors thrown while parsing the body arrive wrapped in Elysia's ParseError.
    const cause = code === 'PARSE' && raw instanceof Error ? raw.cause : undefined
    const error = cause instanceof ApiError || cause instanceof DomainError ? cause : raw
    if (error instanceof ApiError) {
      return jsonError(error.status, error.code, error.message, error.details, error.headers)
    }
    if (error instanceof DomainError) {
      const { status, code } = httpFailure(error)
      return jsonError(status, code, error.message, error.details)
    }
    if (error instanceof ValidationError) {
      const details = validationDetails(error)
      const where = WHERE[error.type] ?? error.type
      return jsonError(
        422,
        'validation_failed',
        `Invalid ${where}: ${details.map((d) => d.message).join('; ') || 'schema violation'}`,
        details,
      )
    }
    switch (code) {
      case 'PARSE':
        return jsonError(400, 'malformed_json', 'Request body is not valid JSON')
      case 'NOT_FOUND':
        return notFoundOrNotAllowed(request, routes())
    }
    const context = {
      requestId: requestIdOf(request),
      method: request.method,
      route: new URL(request.url).pathname,
    }
    const db = databaseErrorInfo(error)
    if (isDatabaseUnavailable(error)) {
      log.warn('database unavailable', { ...context, db })
      return jsonError(
        503,
        'database_unavailable',
        'The database is unreachable; retry shortly',
        undefined,
        { 'retry-after': '5' },
      )
    }
    if (isRejectedValue(db)) {
      log.warn('database refused a value', { ...context, db })
      return jsonError(422, 'invalid_value', 'A value in this request cannot be stored')
    }
    log.error('unhandled error', { ...context, ...(db ? { db } : { err: error }) })
    return jsonError(500, 'internal_error', 'Something went wrong on our side')
  }
}

function notFoundOrNotAllowed(request: Request, routes: RouteList): Response {
  const { pathname } = new URL(request.url)
  const allowed = allowedMethods(routes, pathname)
  if (allowed.length === 0) {
    return jsonError(404, 'not_found', `No route for ${request.method} ${pathname.slice(0, 200)}`)
  }
  const allow = allowed.join(', ')
  if (request.method === 'OPTIONS') return new Response(null, { status: 204, headers: { allow } })
  return jsonError(
    405,
    'method_not_allowed',
    `${request.method.slice(0, 20)} is not allowed on ${pathname.slice(0, 200)}; use ${allow}`,
    undefined,
    { allow },
  )
}
