// Parses the environment once into a frozen, typed Config; a bad env lists every bad key at once.
import { type SettingKey, type Settings, settings } from './schema.ts'

type Value<K extends SettingKey> = Settings[K] extends { parse: (raw: string) => infer R }
  ? R extends { value: infer V }
    ? V
    : never
  : never

/** Keys with a default are always present; the others may be undefined. */
export type Config = Readonly<{
  [K in SettingKey]: Settings[K]['default'] extends string ? Value<K> : Value<K> | undefined
}>

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const out: Record<string, unknown> = {}
  const problems: string[] = []
  for (const [key, s] of Object.entries(settings) as [SettingKey, Settings[SettingKey]][]) {
    const raw = env[key]?.trim() || s.default
    if (raw === undefined) {
      out[key] = undefined
      continue
    }
    const parsed = s.parse(raw)
    if ('error' in parsed) problems.push(`${key} ${parsed.error}`)
    else out[key] = parsed.value
  }
  if (
    out.NODE_ENV === 'production' &&
    out.JWT_SECRET === undefined &&
    !problems.some((p) => p.startsWith('JWT_SECRET'))
  ) {
    problems.push('JWT_SECRET is required when NODE_ENV=production')
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return Object.freeze(out) as Config
}
