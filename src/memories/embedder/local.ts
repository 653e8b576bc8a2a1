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
    let h = WORD
    for (let i = 0; i < word.length; i++) h = mix(h, word.charCodeAt(i))
    add(v, h >>> 0, 1)
    // The trigrams of `^word$`, hashed in place: no string is built per feature.
    for (let i = 0; i + 2 <= word.length + 1; i++) {
      const trigram = mix(
        mix(mix(TRIGRAM, paddedAt(word, i)), paddedAt(word, i + 1)),
        paddedAt(word, i + 2),
      )
      add(v, trigram >>> 0, 0.5)
    }
  }
  return normalize(v)
}

/** Adds ±weight at the feature's hashed position (its sign from the hash's top bit). */
function add(v: number[], h: number, weight: number): void {
  const i = h % v.length
  v[i] = (v[i] ?? 0) + (h & 0x80000000 ? -weight : weight)
}

// 32-bit FNV-1a over UTF-16 code units. A feature is a prefix (`w:` a word, `t:` a trigram) and its
// characters; the hash state after each prefix is computed once.
const mix = (h: number, c: number) => Math.imul(h ^ c, 0x01000193)
const prefixed = (prefix: string) =>
  [...prefix].reduce((h, c) => mix(h, c.charCodeAt(0)), 0x811c9dc5)
const WORD = prefixed('w:')
const TRIGRAM = prefixed('t:')
const CARET = '^'.charCodeAt(0)
const DOLLAR = '$'.charCodeAt(0)

/** Code unit k of `^word$`. */
function paddedAt(word: string, k: number): number {
  return k === 0 ? CARET : k === word.length + 1 ? DOLLAR : word.charCodeAt(k - 1)
}
