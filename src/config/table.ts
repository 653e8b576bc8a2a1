// Renders the settings as a Markdown table (README and `cli config` print the same one).
import { settings } from './schema.ts'

const shownDefault = (d: string | undefined) =>
  d === undefined ? '—' : d === '' ? '(empty)' : `\`${d}\``

export function configTable(): string {
  const rows = Object.entries(settings).map(
    ([key, s]) => `| \`${key}\` | ${shownDefault(s.default)} | ${s.doc} |`,
  )
  return ['| Variable | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n')
}
