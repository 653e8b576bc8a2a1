// Bad input of every kind gets the one JSON error shape and the right status; nothing crashes.
import { beforeAll, describe, expect, test } from 'bun:test'
import { buildTestApp, type TestApp } from './support/app.ts'
import { pgliteBackend } from './support/db.ts'

describe('HTTP errors', () => {
  let t: TestApp
  let tok: string
  beforeAll(async () => {
    t = buildTestApp(await pgliteBackend.open(), { bodyLimit: 2048 })
    tok = await t.token(t.tenant(), 'alice')
  })

  const expectError = (res: { status: number; body: unknown }, status: number, code: string) => {
    expect(res.status).toBe(status)
    expect(res.body).toMatchObject({ error: { code, message: expect.any(String) } })
    expect(JSON.stringify(res.body)).not.toContain('    at ') // no stack traces
  }

  /** A create whose body is sent as given, with this Content-Type. */
  const postRaw = (rawBody: string, contentType: string) =>
    t.call('POST', '/api/v4/memories', {
      token: tok,
      rawBody,
      headers: { 'content-type': contentType },
    })

  test('malformed JSON → 400 malformed_json', async () => {
    expectError(await postRaw('{"content": ', 'application/json'), 400, 'malformed_json')
  })

  test('invalid UTF-8 in a JSON body → 400', async () => {
    const res = await t.call('POST', '/api/v4/memories', {
      token: tok,
      rawBody: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
      headers: { 'content-type': 'application/json' },
    })
    expectError(res, 400, 'malformed_json')
  })

  test('schema violations → 422 with the path of every bad field', async () => {
    const res = await t.call('POST', '/api/v4/memories', {
      token: tok,
      body: { content: '', visibility: 'public', tags: 'nope' },
    })
    expectError(res, 422, 'validation_failed')
    const paths = res.body.error.details.map((d: { path: string }) => d.path)
    expect(paths).toEqual(expect.arrayContaining(['/content', '/visibility', '/tags']))
  })

  test('unknown fields and empty patches are refused', async () => {
    expectError(
      await t.call('POST', '/api/v4/memories', {
        token: tok,
        body: { content: 'x', owner: 'mallory' },
      }),
      422,
      'validation_failed',
    )
    const m = await t.call('POST', '/api/v4/memories', { token: tok, body: { content: 'x' } })
    expectError(
      await t.call('PATCH', `/api/v4/memories/${m.body.id}`, { token: tok, body: {} }),
      422,
      'validation_failed',
    )
  })

  test('query validation: limit above 100 and malformed ids and cursors', async () => {
    const cases: [string, number, string][] = [
      ['/api/v4/memories?limit=101', 422, 'validation_failed'],
      ['/api/v4/memories?limit=abc', 422, 'validation_failed'],
      ['/api/v4/memories/not-a-uuid', 422, 'validation_failed'],
      ['/api/v4/memories?cursor=garbage', 400, 'invalid_cursor'],
      ['/api/v4/memories?updated_since=yesterday', 422, 'validation_failed'],
    ]
    for (const [path, status, code] of cases) {
      expectError(await t.call('GET', path, { token: tok }), status, code)
    }
  })

  test('bodies over the limit → 413, declared or streamed', async () => {
    const big = JSON.stringify({ content: 'x'.repeat(4096) })
    expectError(
      await t.call('POST', '/api/v4/memories', {
        token: tok,
        rawBody: big,
        headers: { 'content-type': 'application/json' },
      }),
      413,
      'payload_too_large',
    )
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big))
        c.close()
      },
    })
    const res = await t.app.handle(
      new Request('http://localhost/api/v4/memories', {
        method: 'POST',
        headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' },
        body: stream,
      }),
    )
    expect(res.status).toBe(413)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('payload_too_large')
  })

  test('non-JSON content types → 415', async () => {
    expectError(
      await postRaw('content=x', 'application/x-www-form-urlencoded'),
      415,
      'unsupported_media_type',
    )
  })

  test('unknown routes → 404 JSON; a known path with another method → 405 with Allow', async () => {
    expectError(await t.call('GET', '/api/v4/nothing-here', { token: tok }), 404, 'not_found')
    const put = await t.call('PUT', '/api/v4/memories', { token: tok, body: {} })
    expectError(put, 405, 'method_not_allowed')
    expect(put.headers.get('allow')).toBe('GET, HEAD, POST')
    const putOne = await t.call('PUT', `/api/v4/memories/${crypto.randomUUID()}`, { token: tok })
    expectError(putOne, 405, 'method_not_allowed')
    expect(putOne.headers.get('allow')).toBe('DELETE, GET, HEAD, PATCH')
    const options = await t.call('OPTIONS', '/api/v4/api-keys', { token: tok })
    expect(options.status).toBe(204)
    expect(options.headers.get('allow')).toBe('GET, HEAD, POST')
  })

  test('a burst of garbage leaves the app serving normally', async () => {
    const junk = [
      '',
      '[]',
      'null',
      '"x"',
      '{"content":{"$gt":1}}',
      '\u0000\u0001',
      '{"content":"x"'.repeat(50),
    ]
    for (const rawBody of junk) {
      const r = await postRaw(rawBody, 'application/json')
      expect(r.status).toBeGreaterThanOrEqual(400)
      expect(r.status).toBeLessThan(500)
      expect(r.body.error.code).toBeString()
    }
    expect(
      (await t.call('POST', '/api/v4/memories', { token: tok, body: { content: 'still fine' } }))
        .status,
    ).toBe(201)
  })
})
