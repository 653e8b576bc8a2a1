// Keeps one known postgres.js defect from taking the process down; every other uncaught error still does.
import type { Logger } from '../telemetry/logger.ts'

/**
 * postgres.js 3.4.x can write to a connection whose socket it already dropped, from a setImmediate
 * callback, when the database connection breaks (upstream issues 1066, 1154, 1208). The query involved
 * was already rejected with CONNECTION_CLOSED and the pool replaces the connection, so the throw is
 * harmless — but uncaught, it would kill the instance during a database outage.
 */
export function isClosedSocketWrite(err: unknown): boolean {
  return (
    err instanceof TypeError &&
    /socket\.write|reading 'write'/.test(err.message) &&
    /postgres[\\/]src[\\/]connection\.js/.test(err.stack ?? '')
  )
}

let isInstalled = false

export function guardAgainstDriverDefect(log: Logger): void {
  if (isInstalled) return
  isInstalled = true
  process.on('uncaughtException', (err) => {
    if (isClosedSocketWrite(err)) {
      log.warn('database connection dropped mid-write (known driver defect); continuing', {
        err: err.message,
      })
      return
    }
    log.error('uncaught exception; exiting', { err })
    process.exit(1)
  })
}
