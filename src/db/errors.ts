// What may be said about a database error: its SQLSTATE, constraint, table and statement name — never
// its message, detail or query parameters, which quote the values a client sent.

export interface DatabaseErrorInfo {
  /** SQLSTATE (e.g. 23505), or the driver's own code for connection failures (ECONNREFUSED …). */
  code: string | undefined
  constraint?: string
  table?: string
  column?: string
  /** The operation that ran it (the name given to dbSpan), when known. */
  statement?: string
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'CONNECT_TIMEOUT',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  // Bun's own client (the creates' connection)
  'ERR_POSTGRES_CONNECTION_CLOSED',
  'ERR_POSTGRES_CONNECTION_FAILED',
  'ERR_POSTGRES_CONNECTION_REFUSED',
  'ERR_POSTGRES_CONNECTION_TIMEOUT',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
])

const SQLSTATE = /^[0-9A-Z]{5}$/
const statements = new WeakMap<object, string>()

/** Remembers which operation an error came from (called by dbSpan). */
export function nameStatement(err: unknown, statement: string): void {
  if (err && typeof err === 'object' && !statements.has(err)) statements.set(err, statement)
}

/**
 * The codes an error carries: postgres.js puts the SQLSTATE or its connection code in `code`; Bun's
 * client puts its own code there and the SQLSTATE in `errno`.
 */
function codesOf(e: Record<string, unknown>): string[] {
  return [e.code, e.errno].filter((c): c is string => typeof c === 'string')
}

/** The `cause` chain (drizzle wraps driver errors), bounded. */
function* chain(error: unknown): Generator<Record<string, unknown>> {
  let e: unknown = error
  for (let depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    yield e as Record<string, unknown>
    e = (e as { cause?: unknown }).cause
  }
}

/** Safe facts about a database or driver error; undefined for errors that did not come from one. */
export function databaseErrorInfo(error: unknown): DatabaseErrorInfo | undefined {
  let isDatabase = false
  const info: DatabaseErrorInfo = { code: undefined }
  for (const e of chain(error)) {
    const name = String(e.name ?? e.constructor?.name ?? '')
    if ('query' in e || 'params' in e || /Postgres|Database|Drizzle/.test(name)) isDatabase = true
    for (const code of codesOf(e)) {
      if (SQLSTATE.test(code) || NETWORK_CODES.has(code)) {
        isDatabase = true
        info.code ??= code
      }
    }
    const text = (k: string) => (typeof e[k] === 'string' ? (e[k] as string) : undefined)
    const constraint = text('constraint_name') ?? text('constraint')
    const table = text('table_name') ?? text('table')
    const column = text('column_name') ?? text('column')
    if (constraint) info.constraint ??= constraint
    if (table) info.table ??= table
    if (column) info.column ??= column
    const statement = statements.get(e)
    if (statement) info.statement ??= statement
  }
  return isDatabase ? info : undefined
}

/** "The database is unreachable" among driver errors: callers answer 503, not 500. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (const e of chain(error)) {
    if (codesOf(e).some((code) => NETWORK_CODES.has(code))) return true
  }
  return false
}

/**
 * The database refused a value (data exception, class 22, or a program limit such as nesting,
 * class 54): the request was at fault. Input validation should catch these first; this is the backstop.
 */
export function isRejectedValue(info: DatabaseErrorInfo | undefined): boolean {
  return !!info?.code && /^(22|54)/.test(info.code)
}
