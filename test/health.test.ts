// /health and /docs: healthy on a working database, 503 naming the database when it is unreachable.
import { describe, expect, test } from 'bun:test'
import { openPostgres } from '../src/db/postgres.ts'
import { buildTestApp } from './support/app.ts'
import { pgliteBackend } from './support/db.ts'

describe('health', () => {
  test('200 with db, bus, version and uptime', async () => {
    const t = buildTestApp(await pgliteBackend.open())
    const res = await t.call('GET', '/health')
    expect(res.status).toBe(200)
    expect(res.body).toMatchObject({
      status: 'ok',
      db: { status: 'up', driver: 'pglite' },
      bus: { driver: 'local' },
      version: 'test',
      uptime: expect.any(Number),
    })
  })

  test('503 naming the database when it cannot be reached; API calls answer 503 too', async () => {
    const unreachable = openPostgres({ url: 'postgres://nobody@127.0.0.1:1/none', max: 1 })
    const t = buildTestApp(unreachable)
    try {
      const res = await t.call('GET', '/health')
      expect(res.status).toBe(503)
      expect(res.body).toMatchObject({
        status: 'unavailable',
        failing: ['db'],
        db: { status: 'down' },
      })
      const tok = await t.token('acme', 'alice')
      const write = await t.call('POST', '/api/v4/memories', { token: tok, body: { content: 'x' } })
      expect(write.status).toBe(503)
      expect(write.body.error.code).toBe('database_unavailable')
      expect(write.headers.get('retry-after')).toBe('5')
    } finally {
      await unreachable.close()
    }
  })

  test('the OpenAPI document lists the memory routes', async () => {
    const t = buildTestApp(await pgliteBackend.open())
    const ui = await t.app.handle(new Request('http://localhost/docs'))
    expect(ui.status).toBe(200)
    expect(ui.headers.get('content-type')).toContain('text/html')
    const spec = await t.call('GET', '/docs/json')
    expect(spec.status).toBe(200)
    expect(Object.keys(spec.body.paths)).toEqual(
      expect.arrayContaining([
        '/api/v4/memories',
        '/api/v4/memories/{id}',
        '/api/v4/memories/search',
        '/health',
      ]),
    )
  })
})
