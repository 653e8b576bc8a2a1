// The embedder seam: turns texts into unit-length vectors. Two implementations: local and http.

export interface Embedder {
  /** Stored with each vector; search only compares vectors of the same model. */
  readonly model: string
  /**
   * True for an embedder that runs in this process and answers in microseconds (local): a write
   * embeds its content itself and logs `memory.embedding_complete` with its own event. False for
   * one behind a network (http): the write queues a job for the embedding worker.
   */
  readonly embedsInline: boolean
  /** Returns one unit-length vector per text, in order. Rejects on failure; callers retry. */
  embed(texts: readonly string[]): Promise<number[][]>
}

export function normalize(v: number[]): number[] {
  let sum = 0
  for (const x of v) sum += x * x
  const norm = Math.sqrt(sum)
  return norm === 0 ? v : v.map((x) => x / norm)
}
