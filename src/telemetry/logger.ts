// Structured JSON logs (pino), one line per entry on stdout: fields redacted (redact.ts), and
// credential shapes scrubbed from every finished line.
import pino from 'pino'
import { redact } from './redact.ts'
import { activeTraceIds } from './spans.ts'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'
type Fields = Record<string, unknown>

export interface Logger {
  debug(msg: string, fields?: Fields): void
  info(msg: string, fields?: Fields): void
  warn(msg: string, fields?: Fields): void
  error(msg: string, fields?: Fields): void
  child(fields: Fields): Logger
}

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
  // Asynchronous, buffered writes (see stdoutDestination): a busy server does not pay a system call
  // per request line. What is pending at exit is flushed then.
  const dest = destination ?? stdoutDestination()
  // A closed stdout (EPIPE) must never take the process down: log lines are then dropped.
  ;(dest as unknown as { on?: (e: string, f: () => void) => void }).on?.('error', () => {})
  const root = pino(
    {
      level,
      base,
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      hooks: { streamWrite: scrub },
      // A line written inside a span names it, so logs and traces join on trace_id.
      mixin: activeTraceIds,
    },
    dest,
  )
  return wrap(root)
}

const safe = (fields: Fields | undefined): Fields => (fields ? (redact(fields) as Fields) : {})

function wrap(p: pino.Logger): Logger {
  return {
    debug: (msg, f) => p.isLevelEnabled('debug') && p.debug(safe(f), msg),
    info: (msg, f) => p.isLevelEnabled('info') && p.info(safe(f), msg),
    warn: (msg, f) => p.isLevelEnabled('warn') && p.warn(safe(f), msg),
    error: (msg, f) => p.error(safe(f), msg),
    child: (fields) => wrap(p.child(safe(fields))),
  }
}

/** Longest a line waits in the buffer before it is written (when fewer than 4 KB are pending). */
const FLUSH_MS = 200

function stdoutDestination(): pino.DestinationStream {
  // Written in 4 KB chunks under load (a write per line cost a tenth of a busy server's CPU), and
  // at least every FLUSH_MS when quiet.
  const dest = pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: FLUSH_MS })
  process.once('exit', () => {
    try {
      dest.flushSync()
    } catch {
      // stdout is gone: nothing can be written any more.
    }
  })
  return dest
}
