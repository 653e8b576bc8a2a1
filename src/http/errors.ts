// Typed API errors; the one error handler (http/error-handler.ts) turns them into {error:{code,message}}.

export interface ErrorDetail {
  path: string
  message: string
}

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
export const unauthorized = (message: string) => new ApiError(401, 'unauthorized', message)
export const forbidden = (message: string) => new ApiError(403, 'forbidden', message)
export const notFound = (what = 'Resource') => new ApiError(404, 'not_found', `${what} not found`)
export const preconditionFailed = (message: string) =>
  new ApiError(412, 'precondition_failed', message)
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
export const validationFailed = (message: string, details: ErrorDetail[]) =>
  new ApiError(422, 'validation_failed', message, details)
export const serviceUnavailable = (code: string, message: string) =>
  new ApiError(503, code, message, undefined, { 'retry-after': '5' })
