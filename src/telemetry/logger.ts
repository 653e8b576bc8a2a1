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
  // within FLUSH_MS of a line when quiet.
  const dest = pino.destination({ dest: 1, sync: false, minLength: 4096 })
  process.once('exit', () => {
    try {
      dest.flushSync()
    } catch {
      // stdout is gone: nothing can be written any more.
    }
  })
  return flushedWithin(dest, FLUSH_MS)
}

/** A buffered stream that reports each chunk it wrote (`'write'`, in bytes), as pino's does. */
interface BufferedStream {
  write(line: string): unknown
  flush(): void
  on(event: 'write', listener: (bytes: number) => void): unknown
  on(event: 'error', listener: (err: Error) => void): unknown
}

/**
 * Writes through `stream`, and flushes what it still buffers `ms` after a line came in. A timer runs
 * only while bytes are pending: a quiet process makes no write at all (a flush of nothing still
 * cost the runtime a write on its thread pool, five times a second).
 */
export function flushedWithin(stream: BufferedStream, ms: number): pino.DestinationStream {
  let pending = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  const flush = () => {
    timer = undefined
    if (pending > 0) stream.flush()
  }
  // A flush asked for while a chunk is being written leaves the rest buffered: each chunk written
  // arms the timer again while anything is left.
  const armIfPending = () => {
    if (timer !== undefined || pending <= 0) return
    timer = setTimeout(flush, ms)
    timer.unref?.()
  }
  stream.on('write', (bytes) => {
    pending -= bytes
    armIfPending()
  })
  // A closed stdout (EPIPE) must never take the process down: its lines are dropped.
  stream.on('error', () => {})
  return {
    write(line: string) {
      pending += Buffer.byteLength(line)
      stream.write(line)
      armIfPending()
    },
  }
}
