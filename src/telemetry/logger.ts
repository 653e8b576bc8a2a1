// Structured JSON logs, one line per entry on stdout; levels below LOG_LEVEL cost one comparison.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent'
type Fields = Record<string, unknown>

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 }

export interface Logger {
  debug(msg: string, fields?: Fields): void
  info(msg: string, fields?: Fields): void
  warn(msg: string, fields?: Fields): void
  error(msg: string, fields?: Fields): void
  child(fields: Fields): Logger
}

/** A closed stdout (EPIPE) must never take the process down: log lines are then dropped. */
function writeStdout(line: string): void {
  try {
    process.stdout.write(`${line}\n`)
  } catch {}
}
process.stdout.on?.('error', () => {})

export function createLogger(
  level: LogLevel,
  base: Fields = {},
  write: (line: string) => void = writeStdout,
): Logger {
  const min = rank[level]
  const emit = (lvl: Exclude<LogLevel, 'silent'>, msg: string, fields?: Fields) => {
    if (rank[lvl] < min) return
    write(
      JSON.stringify(
        { time: new Date().toISOString(), level: lvl, msg, ...base, ...fields },
        errorReplacer,
      ),
    )
  }
  return {
    debug: (msg, f) => emit('debug', msg, f),
    info: (msg, f) => emit('info', msg, f),
    warn: (msg, f) => emit('warn', msg, f),
    error: (msg, f) => emit('error', msg, f),
    child: (fields) => createLogger(level, { ...base, ...fields }, write),
  }
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error)
    return { name: value.name, message: value.message, stack: value.stack }
  return value
}
