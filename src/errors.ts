// What a use case refuses, in its own terms; http/error-handler.ts gives each kind its status and code.

/** Where in the input a problem is, and what it is. */
export interface ErrorDetail {
  path: string
  message: string
}

export type FailureKind =
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'version_conflict'
  | 'invalid_input'
  | 'invalid_cursor'
  | 'embedder_unavailable'

export class DomainError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly details?: ErrorDetail[],
  ) {
    super(message)
    this.name = 'DomainError'
  }
}

/** No credential, or one that is malformed, invalid, expired or revoked. */
export const unauthenticated = (message: string) => new DomainError('unauthenticated', message)
export const forbidden = (message: string) => new DomainError('forbidden', message)
/** Also for what exists but the caller may not see: another tenant's memory is not found, never forbidden. */
export const notFound = (what: string) => new DomainError('not_found', `${what} not found`)
export const versionConflict = (what: string, current: number) =>
  new DomainError('version_conflict', `${what} has changed: its current version is ${current}`)
export const invalidInput = (message: string, details: ErrorDetail[]) =>
  new DomainError('invalid_input', message, details)
export const invalidCursor = () =>
  new DomainError('invalid_cursor', 'cursor is not one this API returned')
export const embedderUnavailable = (message: string) =>
  new DomainError('embedder_unavailable', message)
