// Configuration: defaults, every bad key reported at once, the production secret rule, the dev secret file.
import { describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { resolveJwtSecret } from '../src/config/dev-secret.ts'
import { ConfigError, loadConfig } from '../src/config/load.ts'

describe('loadConfig', () => {
  test('an empty environment gives the documented defaults, frozen', () => {
    const c = loadConfig({})
    expect(c).toMatchObject({
      PORT: 3000,
      HOST: '0.0.0.0',
      DATA_DIR: './data',
      LOG_LEVEL: 'info',
      BODY_LIMIT: 1048576,
    })
    expect(c.DATABASE_URL).toBeUndefined()
    expect(c.REDIS_URL).toBeUndefined()
    expect(Object.isFrozen(c)).toBe(true)
  })

  test('every bad key is named in one error', () => {
    try {
      loadConfig({
        PORT: 'eighty',
        LOG_LEVEL: 'loud',
        DATABASE_URL: 'mysql://x',
        JWT_SECRET: 'short',
        BODY_LIMIT: '-1',
      })
      throw new Error('expected a ConfigError')
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError)
      const problems = (err as ConfigError).problems.join('\n')
      for (const key of ['PORT', 'LOG_LEVEL', 'DATABASE_URL', 'JWT_SECRET', 'BODY_LIMIT'])
        expect(problems).toContain(key)
    }
  })

  test('production without JWT_SECRET is refused; with one it boots', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow('JWT_SECRET is required')
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).JWT_SECRET).toBe(
      'x'.repeat(32),
    )
  })
})

describe('development JWT secret', () => {
  test('is generated once into DATA_DIR (mode 600) and reused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'puo-secret-'))
    const first = resolveJwtSecret({ DATA_DIR: dir, JWT_SECRET: undefined })
    expect(first.isGenerated).toBe(true)
    expect(first.value.length).toBeGreaterThanOrEqual(32)
    const file = join(dir, 'dev-jwt-secret')
    expect(readFileSync(file, 'utf8').trim()).toBe(first.value)
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(resolveJwtSecret({ DATA_DIR: dir, JWT_SECRET: undefined }).value).toBe(first.value)
    expect(resolveJwtSecret({ DATA_DIR: dir, JWT_SECRET: 'y'.repeat(40) })).toEqual({
      value: 'y'.repeat(40),
      isGenerated: false,
    })
  })
})
