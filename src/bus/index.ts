// Chooses the bus: in-process without REDIS_URL, Redis with it. Throws on an unknown driver.
import type { Cluster, Redis } from 'ioredis'
import type { Logger } from '../telemetry/logger.ts'
import type { Bus } from './bus.ts'
import { createLocalBus } from './local.ts'
import { createRedisBus } from './redis.ts'

export type { Bus, BusEvent, Envelope, EventEnvelope, PresenceEnvelope } from './bus.ts'

export type BusConfig =
  | { driver: 'local' }
  | {
      driver: 'redis'
      publisher: Redis | Cluster
      subscriber: Redis | Cluster
      isSharded: boolean
      origin: string
      log: Logger
    }

export function createBus(config: BusConfig): Bus {
  switch (config.driver) {
    case 'local':
      return createLocalBus()
    case 'redis':
      return createRedisBus(config)
    default: {
      const unknown: never = config
      throw new Error(`unknown bus driver: ${JSON.stringify(unknown)}`)
    }
  }
}
