// An OpenAI-compatible embeddings client: POST {model, input: [...]} → {data: [{embedding, index}]}.
import { type Embedder, normalize } from './embedder.ts'

export interface HttpEmbedderOptions {
  url: string
  model: string
  apiKey?: string
  /** Per request (default 30 s). */
  timeoutMs?: number
}

export function createHttpEmbedder(opts: HttpEmbedderOptions): Embedder {
  return {
    model: opts.model,
    embedsInline: false,
    async embed(texts) {
      if (texts.length === 0) return []
      const res = await fetch(opts.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}),
        },
        body: JSON.stringify({ model: opts.model, input: texts }),
        signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
      })
      if (!res.ok) {
        // Only the error's code or type: an endpoint's message may quote the input (memory content).
        const body = (await res.json().catch(() => undefined)) as
          | { error?: { code?: unknown; type?: unknown } }
          | undefined
        const kind = body?.error?.code ?? body?.error?.type
        const detail = typeof kind === 'string' ? ` (${kind.slice(0, 60)})` : ''
        throw new Error(`embedding endpoint answered ${res.status}${detail}`)
      }
      return parseResponse(await res.json(), texts.length)
    },
  }
}

function parseResponse(body: unknown, expected: number): number[][] {
  const data = (body as { data?: unknown })?.data
  if (!Array.isArray(data) || data.length !== expected) {
    throw new Error(
      `embedding endpoint returned ${Array.isArray(data) ? data.length : 'no'} vectors for ${expected} inputs`,
    )
  }
  const out: number[][] = new Array(expected)
  data.forEach((item: unknown, position) => {
    const { embedding, index } = item as { embedding?: unknown; index?: unknown }
    if (
      !Array.isArray(embedding) ||
      embedding.length === 0 ||
      !embedding.every((x) => typeof x === 'number' && Number.isFinite(x))
    ) {
      throw new Error('embedding endpoint returned a vector that is not a list of numbers')
    }
    out[typeof index === 'number' ? index : position] = normalize(embedding as number[])
  })
  return out
}
