// Structured JSON logs (pino), one line per entry on stdout, with credentials scrubbed from every line.
import pino from 'pino'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'
type Fields = Record<string, unknown>

export interface Logger {
  debug(msg: string, fields?: Fields): void
  info(msg: string, fields?: Fields): void
  warn(msg: string, fields?: Fields): void
  error(msg: string, fields?: Fields): void
  child(fields: Fields): Logger
}

/** Field names whose values never reach a log line, wherever they are nested. */
const SECRET_FIELDS = [
  'token',
  'authorization',
  'apiKey',
  'key',
  'password',
  'jwtSecret',
  'secret',
  'x-api-key',
]

/**
 * The last line of defence, applied to each finished line: anything shaped like a JWT, an API key,
 * a `token=` query parameter or a URL password is replaced, whichever field it hid in.
 */
export function scrub(line: string): string {
  return line
    .replace(/eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/g, '[redacted-jwt]')
    .replace(/pm_[a-z0-9]{8}_[\w-]{32}/g, '[redacted-api-key]')
    .replace(/([?&]token=)[^&"\s]+/g, '$1[redacted]')
    .replace(/(\/\/[^:/"\s]+:)[^@/"\s]+@/g, '$1[redacted]@')
}

export function createLogger(
  level: LogLevel,
  base: Fields = {},
  destination?: pino.DestinationStream,
): Logger {
  const dest = destination ?? pino.destination({ dest: 1, sync: true })
  // A closed stdout (EPIPE) must never take the process down: log lines are then dropped.
  ;(dest as unknown as { on?: (e: string, f: () => void) => void }).on?.('error', () => {})
  const root = pino(
    {
      level,
      base,
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: SECRET_FIELDS.flatMap((f) => [f, `*.${f}`]), censor: '[redacted]' },
      hooks: { streamWrite: scrub },
    },
    dest,
  )
  return wrap(root)
}

function wrap(p: pino.Logger): Logger {
  return {
    debug: (msg, f) => p.debug(f ?? {}, msg),
    info: (msg, f) => p.info(f ?? {}, msg),
    warn: (msg, f) => p.warn(f ?? {}, msg),
    error: (msg, f) => p.error(f ?? {}, msg),
    child: (fields) => wrap(p.child(fields)),
  }
}
