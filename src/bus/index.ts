// Chooses the bus: in-process without REDIS_URL. Throws on a driver this build does not have.
import type { Bus } from './bus.ts'
import { createLocalBus } from './local.ts'

export type { Bus, BusEvent, Envelope } from './bus.ts'

export type BusDriver = 'local'

export function createBus(driver: BusDriver): Bus {
  switch (driver) {
    case 'local':
      return createLocalBus()
    default: {
      const unknown: never = driver
      throw new Error(`unknown bus driver: ${String(unknown)}`)
    }
  }
}
