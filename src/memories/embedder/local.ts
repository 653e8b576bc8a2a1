// A deterministic embedder that needs no model download: hashed word and character-trigram features.
import { type Embedder, normalize } from './embedder.ts'

/**
 * Texts that share words (or word fragments) get similar vectors, which is enough for useful
 * ranking of short notes. Same text, same vector, on every machine and every run.
 */
export function createLocalEmbedder(dimensions: number): Embedder {
  return {
    model: `local-hash-${dimensions}`,
    embedsInline: true,
    embed: async (texts) => texts.map((text) => embedOne(text, dimensions)),
  }
}

function embedOne(text: string, dimensions: number): number[] {
  const v = new Array<number>(dimensions).fill(0)
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []
  for (const word of words) {
    add(v, `w:${word}`, 1)
    const padded = `^${word}$`
    for (let i = 0; i + 3 <= padded.length; i++) add(v, `t:${padded.slice(i, i + 3)}`, 0.5)
  }
  return normalize(v)
}

function add(v: number[], feature: string, weight: number): void {
  const h = fnv1a(feature)
  const i = h % v.length
  v[i] = (v[i] ?? 0) + (h & 0x80000000 ? -weight : weight)
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}
