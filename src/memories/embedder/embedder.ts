// The embedder seam: turns texts into unit-length vectors. Two implementations: local and http.

export interface Embedder {
  /** Stored with each vector; search only compares vectors of the same model. */
  readonly model: string
  /** Returns one unit-length vector per text, in order. Rejects on failure; callers retry. */
  embed(texts: readonly string[]): Promise<number[][]>
}

export function normalize(v: number[]): number[] {
  let sum = 0
  for (const x of v) sum += x * x
  const norm = Math.sqrt(sum)
  return norm === 0 ? v : v.map((x) => x / norm)
}
