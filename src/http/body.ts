// Request input: JSON bodies of at most BODY_LIMIT bytes and JSON_MAX_DEPTH levels, and text (body
// and query) PostgreSQL can store; anything else is a clear 4xx before a handler or the database sees it.
import { Elysia } from 'elysia'
import { invalidInput } from '../errors.ts'
import { findTooDeep } from '../input/json-depth.ts'
import { findUnstorableText } from '../input/storable-text.ts'
import { jsonError } from './error-handler.ts'
import { badRequest, payloadTooLarge, unsupportedMediaType } from './errors.ts'

export interface BodyLimits {
  /** Largest body in bytes. */
  bytes: number
  /** Deepest nesting inside the body's top-level members (the body object itself is one more). */
  depth: number
}

const UNSTORABLE =
  'contains a NUL character or an unpaired UTF-16 surrogate, which cannot be stored'

/**
 * Bun's own limit (set far higher in server.ts) would answer 413 with an empty body; this checks the
 * declared length first and counts the real bytes while streaming, so chunked bodies are cut off at
 * the limit too, without buffering more than it.
 */
export function jsonBody(limits: BodyLimits) {
  return new Elysia({ name: 'json-body' })
    .onRequest(({ request }) => {
      const declared = Number(request.headers.get('content-length') ?? 0)
      if (declared > limits.bytes) {
        // The unread body is still on the wire: close the connection rather than keep it alive.
        const e = payloadTooLarge(limits.bytes)
        return jsonError(e.status, e.code, e.message, undefined, { connection: 'close' })
      }
    })
    .onParse({ as: 'global' }, async ({ request, contentType }) => {
      const bytes = await readLimited(request, limits.bytes)
      if (bytes.byteLength === 0) return undefined
      if (!isJson(contentType)) throw unsupportedMediaType(contentType || 'none')
      let text: string
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
      } catch {
        throw badRequest('malformed_json', 'Request body is not valid UTF-8')
      }
      const deep = findTooDeep(text, limits.depth + 1)
      if (deep) {
        const message = `${deep.path} nests deeper than ${limits.depth} levels`
        throw invalidInput(`Invalid body: ${message}`, [{ path: deep.path, message }])
      }
      let body: unknown
      try {
        body = JSON.parse(text)
      } catch {
        throw badRequest('malformed_json', 'Request body is not valid JSON')
      }
      const bad = findUnstorableText(body)
      if (bad) {
        throw invalidInput(`Invalid body: ${bad} ${UNSTORABLE}`, [
          { path: bad, message: `${bad} ${UNSTORABLE}` },
        ])
      }
      return body
    })
    .onTransform({ as: 'global' }, ({ query, params }) => {
      for (const [where, value] of [
        ['query', query],
        ['path', params],
      ] as const) {
        const bad = findUnstorableText(value)
        if (!bad) continue
        const name = bad.slice(1)
        throw invalidInput(`Invalid ${where}: ${name} ${UNSTORABLE}`, [
          { path: bad, message: `${name} ${UNSTORABLE}` },
        ])
      }
    })
}

function isJson(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? ''
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'))
}

/** Reads the body as it streams in, giving up (413) as soon as it passes `limit` bytes. */
async function readLimited(request: Request, limit: number): Promise<Uint8Array> {
  if (!request.body) return new Uint8Array(0)
  // A declared length was checked against the limit on arrival, and HTTP framing holds the body to
  // it: read at once. Only chunked bodies, of unknown length, are counted while they stream.
  if (request.headers.has('content-length') && !request.headers.has('transfer-encoding'))
    return new Uint8Array(await request.arrayBuffer())
  const chunks: Uint8Array[] = []
  let size = 0
  const reader = request.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => {})
      throw payloadTooLarge(limit)
    }
    chunks.push(value)
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array
  const out = new Uint8Array(size)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.byteLength
  }
  return out
}
