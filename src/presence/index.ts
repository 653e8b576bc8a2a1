// Chooses presence: in-process without REDIS_URL, shared through Redis with it. Throws on an unknown driver.
import { createLocalPresence } from './local.ts'
import type { PresenceStore } from './presence.ts'
import { createRedisPresence, type RedisPresenceOptions } from './redis.ts'

export type { PresenceStore, PresenceUser } from './presence.ts'

export type PresenceConfig = { driver: 'local' } | ({ driver: 'redis' } & RedisPresenceOptions)

export function createPresenceStore(config: PresenceConfig): PresenceStore {
  switch (config.driver) {
    case 'local':
      return createLocalPresence()
    case 'redis':
      return createRedisPresence(config)
    default: {
      const unknown: never = config
      throw new Error(`unknown presence driver: ${JSON.stringify(unknown)}`)
    }
  }
}
