// The string formats the API's schemas use, as fixed checks.
import { FormatRegistry } from '@sinclair/typebox'

/** The text form PostgreSQL's uuid type stores and prints: 8-4-4-4-12 hex digits. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * The OpenAPI plugin registers its own `uuid` check on import, one that builds a new schema object
 * on every call: a large share of a request's CPU. Call after every module has loaded (so after the
 * plugin's import) to put a precompiled check back.
 */
export function registerFormats(): void {
  FormatRegistry.Set('uuid', (value) => UUID.test(value))
}
