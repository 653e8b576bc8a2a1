// Command lines (the CLI, the load runner, the chaos runner): a flag given twice is refused, by name,
// before anything runs; which of the two values would count is not guessed.
import { describe, expect, test } from 'bun:test'
import { runCli, runScript } from './support/cli.ts'

describe('a flag given twice', () => {
  test('the CLI refuses it and signs nothing', () => {
    const out = runCli(['token', '--tenant', 'acme', '--tenant', 'other', '--user', 'alice'], {})
    expect(out.code).toBe(2)
    expect(out.stderr).toContain('--tenant given more than once')
    expect(out.stdout).toBe('')
  })

  test('the load runner refuses it before starting anything', () => {
    const out = runScript('load/run.ts', ['fanout', '--ci', '--env', 'A=1', '--env=B=2'])
    expect(out.code).toBe(2)
    expect(out.stderr).toContain('--env: given more than once')
    expect(out.stderr).toContain('K=V,K=V')
  })

  test('the chaos runner refuses it before starting anything', () => {
    const out = runScript('chaos/run.ts', ['all', '--json', 'a.json', '--json', 'b.json'])
    expect(out.code).toBe(2)
    expect(out.stderr).toContain('--json: given more than once')
  })
})
