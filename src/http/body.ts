// Request bodies: JSON only, at most BODY_LIMIT bytes; anything else is a clear 4xx, never a crash.
import { Elysia } from 'elysia'
import { jsonError } from './error-handler.ts'
import { badRequest, payloadTooLarge, unsupportedMediaType } from './errors.ts'

/**
 * Bun's own limit (set higher in main.ts) would answer 413 with an empty body; this checks the
 * declared length first and the real length while parsing, so chunked bodies are caught too.
 */
export function jsonBody(limit: number) {
  return new Elysia({ name: 'json-body' })
    .onRequest(({ request }) => {
      const declared = Number(request.headers.get('content-length') ?? 0)
      if (declared > limit) {
        // The unread body is still on the wire: close the connection rather than keep it alive.
        const e = payloadTooLarge(limit)
        return jsonError(e.status, e.code, e.message, undefined, { connection: 'close' })
      }
    })
    .onParse({ as: 'global' }, async ({ request, contentType }) => {
      const bytes = await request.arrayBuffer()
      if (bytes.byteLength > limit) throw payloadTooLarge(limit)
      if (bytes.byteLength === 0) return undefined
      if (contentType !== 'application/json') throw unsupportedMediaType(contentType || 'none')
      try {
        return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
      } catch {
        throw badRequest('malformed_json', 'Request body is not valid JSON')
      }
    })
}
