// Chooses the embedder: an OpenAI-compatible HTTP endpoint, or the local one. Throws on an unknown driver.
import type { Embedder } from './embedder.ts'
import { createHttpEmbedder, type HttpEmbedderOptions } from './http.ts'
import { createLocalEmbedder } from './local.ts'

export type { Embedder } from './embedder.ts'

export type EmbedderConfig =
  | ({ driver: 'http' } & HttpEmbedderOptions)
  | { driver: 'local'; dimensions: number }

export function createEmbedder(config: EmbedderConfig): Embedder {
  switch (config.driver) {
    case 'http':
      return createHttpEmbedder(config)
    case 'local':
      return createLocalEmbedder(config.dimensions)
    default: {
      const unknown: never = config
      throw new Error(`unknown embedder driver: ${JSON.stringify(unknown)}`)
    }
  }
}
