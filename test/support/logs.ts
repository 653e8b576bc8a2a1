// Every log line of the run, from spawned servers and in-process apps alike, for the teardown's
// oracle (test/setup.ts): no credential and no canary string may appear in any of them.
import { createLogger, type Logger } from '../../src/telemetry/logger.ts'

/** Every log line any server (process or in-process app) wrote during the run. */
export const serverLogLines: string[] = []

/** Text tests write into memories; it must never reach a log line. */
export const CANARY_PREFIX = 'puo-canary-'
export const canary = (label = ''): string =>
  `${CANARY_PREFIX}${label}${crypto.randomUUID().slice(0, 8)}`

/** A debug-level logger whose lines land in serverLogLines (and nowhere else). */
export function capturingLogger(): Logger {
  return createLogger(
    'debug',
    {},
    {
      write(line: string) {
        serverLogLines.push(line.trimEnd())
      },
    },
  )
}
