// HTTP's own errors (body, headers) and the status and code of each domain failure; the one error
// handler (http/error-handler.ts) turns both into {error:{code,message}}.
import type { DomainError, ErrorDetail, FailureKind } from '../errors.ts'

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetail[],
    readonly headers?: Record<string, string>,
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

export const badRequest = (code: string, message: string) => new ApiError(400, code, message)
/** The unread rest of the body is still on the wire: the connection is closed after the answer. */
export const payloadTooLarge = (limit: number) =>
  new ApiError(
    413,
    'payload_too_large',
    `Request body exceeds the limit of ${limit} bytes`,
    undefined,
    { connection: 'close' },
  )
export const unsupportedMediaType = (type: string) =>
  new ApiError(
    415,
    'unsupported_media_type',
    `Content-Type "${type}" is not supported; send application/json`,
  )

const FAILURES: Record<FailureKind, { status: number; code: string }> = {
  unauthenticated: { status: 401, code: 'unauthorized' },
  forbidden: { status: 403, code: 'forbidden' },
  not_found: { status: 404, code: 'not_found' },
  version_conflict: { status: 412, code: 'precondition_failed' },
  invalid_input: { status: 422, code: 'validation_failed' },
  invalid_cursor: { status: 400, code: 'invalid_cursor' },
  embedder_unavailable: { status: 502, code: 'embedder_unavailable' },
}

/** The HTTP status and error code a domain failure is answered with. */
export const httpFailure = (err: DomainError) => FAILURES[err.kind]
