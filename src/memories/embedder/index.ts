// Chooses the embedder from config: the HTTP endpoint when EMBEDDING_URL is set, else the local one.
import type { Config } from '../../config/load.ts'
import type { Embedder } from './embedder.ts'
import { createHttpEmbedder } from './http.ts'
import { createLocalEmbedder } from './local.ts'

export type { Embedder } from './embedder.ts'

export function createEmbedder(
  config: Pick<
    Config,
    'EMBEDDING_URL' | 'EMBEDDING_MODEL' | 'EMBEDDING_API_KEY' | 'EMBEDDING_DIMENSIONS'
  >,
): Embedder {
  if (config.EMBEDDING_URL) {
    return createHttpEmbedder({
      url: config.EMBEDDING_URL,
      model: config.EMBEDDING_MODEL,
      ...(config.EMBEDDING_API_KEY ? { apiKey: config.EMBEDDING_API_KEY } : {}),
    })
  }
  return createLocalEmbedder(config.EMBEDDING_DIMENSIONS)
}
