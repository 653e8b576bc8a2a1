// Database errors from both PostgreSQL clients the server uses (postgres.js for the pool, Bun's own
// for the creates' connection) read alike: the same SQLSTATE, and an unreachable server is "unavailable".
import { afterAll, describe, expect, test } from 'bun:test'
import { SQL } from 'bun'
import postgres from 'postgres'
import { databaseErrorInfo, isDatabaseUnavailable, isRejectedValue } from '../src/db/errors.ts'
import { freePort } from './harness/redis.ts'
import { postgresUrl, servicesRequired } from './support/env.ts'

const clients = [
  {
    name: 'postgres.js',
    open: (url: string) => {
      const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} })
      return { run: (text: string) => sql.unsafe(text), close: () => sql.end({ timeout: 1 }) }
    },
  },
  {
    name: "Bun's client",
    open: (url: string) => {
      const sql = new SQL(url, { max: 1, connectionTimeout: 2 })
      return { run: (text: string) => sql.unsafe(text), close: () => sql.close({ timeout: 1 }) }
    },
  },
]

describe.skipIf(postgresUrl === undefined && !servicesRequired)('database errors', () => {
  const opened: { close(): Promise<unknown> }[] = []
  afterAll(async () => {
    await Promise.all(opened.map((c) => c.close()))
  })

  for (const client of clients) {
    test(`${client.name}: a value the database refuses keeps its SQLSTATE and is the caller's fault`, async () => {
      const db = client.open(postgresUrl as string)
      opened.push(db)
      const err = await db.run('select 1 / 0').catch((e: unknown) => e)
      const info = databaseErrorInfo(err)
      expect(info?.code).toBe('22012')
      expect(isRejectedValue(info)).toBe(true)
      expect(isDatabaseUnavailable(err)).toBe(false)
    })

    test(`${client.name}: a server that cannot be reached is "unavailable"`, async () => {
      const closed = new URL(postgresUrl as string)
      closed.port = String(await freePort())
      const db = client.open(closed.toString())
      opened.push(db)
      const err = await db.run('select 1').catch((e: unknown) => e)
      expect(isDatabaseUnavailable(err)).toBe(true)
      expect(databaseErrorInfo(err)?.code).toBeDefined()
    })
  }
})
