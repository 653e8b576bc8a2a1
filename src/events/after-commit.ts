// After commit: the one step between the event log and the bus. Every committed event, from a
// memory change or a finished embedding, comes here once; it is published to the bus, and content
// left to embed wakes the embedding worker.
import type { Bus } from '../bus/bus.ts'
import type { Logger } from '../telemetry/logger.ts'
import { producerSpan } from '../telemetry/spans.ts'
import { type EventPayload, type StoredEvent, toBusEvent } from './types.ts'

export interface AfterCommitOptions {
  bus: Pick<Bus, 'name' | 'publish'>
  /** This instance, the envelope's origin. */
  origin: string
  log: Logger
  /** Told of each publish the bus refused. */
  onPublishFailed?(): void
}

/**
 * A publish the bus refuses is logged and the event stays in the log, where resuming clients and
 * every instance's log sync find it: the write that produced it has already succeeded.
 */
export function createAfterCommit(opts: AfterCommitOptions) {
  const { bus, origin, log } = opts
  let worker: { wake(): void } | undefined
  return {
    committed(event: StoredEvent): void {
      const attributes = { 'messaging.system': bus.name, 'puo.event.type': event.type }
      producerSpan(`publish ${event.type}`, attributes, (trace) =>
        bus.publish({
          kind: 'event',
          id: event.id,
          origin,
          tenant: event.tenantId,
          seq: event.seq,
          event: toBusEvent(event),
          ...(trace ? { trace } : {}),
        }),
      ).catch((err: unknown) => {
        opts.onPublishFailed?.()
        log.warn('bus publish failed', { eventId: event.id, err })
      })
      if (queuesEmbedding(event)) worker?.wake()
    },
    /** The embedding worker this instance runs (created after the app, which needs `committed`). */
    wakes(embeddingWorker: { wake(): void }): void {
      worker = embeddingWorker
    },
  }
}

/** A create or content edit whose memory was not embedded inline: a job waits for the worker. */
function queuesEmbedding(event: StoredEvent): boolean {
  if (event.type !== 'memory.created' && event.type !== 'memory.updated') return false
  const { memory } = event.payload as EventPayload<'memory.created'>
  return memory.embedding.status === 'pending'
}
