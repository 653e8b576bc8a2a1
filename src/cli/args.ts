// Minimal `--flag value` parsing for the CLI; unknown or missing flags are reported, not guessed.

export interface ParsedArgs {
  positionals: string[]
  flags: Map<string, string>
  /** Flags given more than once: which one counts would be a guess, so callers refuse them. */
  repeated: string[]
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const positionals: string[] = []
  const flags = new Map<string, string>()
  const repeated = new Set<string>()
  const set = (name: string, value: string) => {
    if (flags.has(name)) repeated.add(name)
    flags.set(name, value)
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=')
      if (eq > 0) set(arg.slice(2, eq), arg.slice(eq + 1))
      else {
        const next = argv[i + 1]
        if (next === undefined || next.startsWith('--')) set(arg.slice(2), 'true')
        else {
          set(arg.slice(2), next)
          i++
        }
      }
    } else positionals.push(arg)
  }
  return { positionals, flags, repeated: [...repeated] }
}

/** Flag names as a user typed them, for a message: `--a, --b`. */
export const asFlags = (names: readonly string[]): string => names.map((f) => `--${f}`).join(', ')

/**
 * The flags among `names` that were given no value: parsed as "true", which for a flag that takes a
 * value (a file, a list, a number) is a mistake to report, not a value to use. A value that starts
 * with `--` reads as the next flag, so it must be given as `--name=value`.
 */
export function flagsWithoutValue(flags: Map<string, string>, names: readonly string[]): string[] {
  return names.filter((name) => flags.get(name) === 'true')
}

/** "90", "90s", "15m", "1h", "7d" → seconds; null when unreadable. */
export function parseDuration(raw: string): number | null {
  const m = /^(\d+)\s*([smhd]?)$/.exec(raw.trim())
  if (!m) return null
  const n = Number(m[1])
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd']
  return n > 0 ? n * unit : null
}
