// The README's configuration table is the one the schema renders, so docs and code cannot drift.
import { expect, test } from 'bun:test'
import { configTable } from '../src/config/table.ts'

/** Column padding is a formatter's business, not content. */
const normalize = (s: string) => s.replace(/ +/g, ' ').replace(/-{3,}/g, '---')

test('README lists every setting with its default and meaning', async () => {
  const readme = await Bun.file(new URL('../README.md', import.meta.url)).text()
  expect(normalize(readme)).toContain(normalize(configTable()))
})
