// After commit: turns a logged event into a bus envelope and publishes it.
import type { Bus, BusEvent } from '../bus/bus.ts'
import type { Logger } from '../telemetry/logger.ts'
import { producerSpan } from '../telemetry/spans.ts'
import type { StoredEvent } from './types.ts'

export function toBusEvent(e: StoredEvent): BusEvent {
  return {
    id: e.id,
    tenantId: e.tenantId,
    seq: e.seq,
    type: e.type,
    memoryId: e.memoryId,
    ownerId: e.ownerId,
    visibility: e.visibility,
    payload: e.payload,
    createdAt: e.createdAt.toISOString(),
  }
}

/**
 * Publishes committed events. A failed publish is logged and the event stays in the log, where a
 * resuming client finds it; the write that produced it has already succeeded.
 */
export function createPublisher(
  bus: Bus,
  origin: string,
  log: Logger,
  onError: () => void = () => {},
) {
  return (event: StoredEvent): void => {
    const busEvent = toBusEvent(event)
    const attributes = { 'messaging.system': bus.name, 'puo.event.type': event.type }
    producerSpan(`publish ${event.type}`, attributes, (trace) =>
      bus.publish({
        kind: 'event',
        id: event.id,
        origin,
        tenant: event.tenantId,
        seq: event.seq,
        event: busEvent,
        ...(trace ? { trace } : {}),
      }),
    ).catch((err: unknown) => {
      onError()
      log.warn('bus publish failed', { eventId: event.id, err })
    })
  }
}

/** Where a withdrawn credential is announced: every instance ends the sockets opened with it. */
export type Disconnect = { tenantId: string } & (
  | { keyId: string; reason: string }
  | { userId: string; reason: string }
)

/**
 * Publishes a `disconnect` envelope. Delivery is at-most-once like every bus message; each instance
 * also checks the API keys of its sockets periodically, so a lost announcement only delays the close.
 */
export function createDisconnectPublisher(bus: Bus, origin: string, log: Logger) {
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
