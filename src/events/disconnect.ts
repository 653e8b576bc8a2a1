// Withdrawn credentials, announced to every instance so each ends the sockets opened with them.
import type { Bus } from '../bus/bus.ts'
import type { Logger } from '../telemetry/logger.ts'

/** Whose sockets must end: those of one API key, or every socket of a user. */
export type Disconnect = { tenantId: string } & (
  | { keyId: string; reason: string }
  | { userId: string; reason: string }
)

/**
 * Publishes a `disconnect` envelope. Delivery is at-most-once like every bus message; each instance
 * also checks the API keys of its sockets periodically, so a lost announcement only delays the close.
 */
export function createDisconnectPublisher(bus: Pick<Bus, 'publish'>, origin: string, log: Logger) {
  return ({ tenantId, ...target }: Disconnect): void => {
    bus
      .publish({
        kind: 'disconnect',
        id: crypto.randomUUID(),
        origin,
        tenant: tenantId,
        disconnect: target,
      })
      .catch((err: unknown) => log.warn('disconnect announcement failed', { tenantId, err }))
  }
}
