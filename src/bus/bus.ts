// The bus seam between the event log and the hubs: envelopes of committed events, one interface, two drivers.
import type { Visibility } from '../db/schema.ts'

/** A committed event as it travels between instances (JSON-safe). */
export interface BusEvent {
  id: string
  tenantId: string
  seq: number
  type: string
  memoryId: string
  ownerId: string
  visibility: Visibility
  payload: Record<string, unknown>
  /** Commit-side time, ISO 8601. */
  createdAt: string
}

export interface Envelope {
  /** Equals event.id: consumers drop a second envelope with an id they have delivered. */
  id: string
  /** Instance that published it; an instance ignores its own echo from a shared bus. */
  origin: string
  tenant: string
  seq: number
  event: BusEvent
}

export type EnvelopeHandler = (envelope: Envelope) => void

/**
 * Guarantees: at most once, and in publish order per publisher. Completeness comes from the event
 * log (clients resume from it), never from the bus. `publish` never throws for a delivery problem:
 * it reports failure by rejecting, and the caller decides whether to retry.
 */
export interface Bus {
  readonly name: string
  publish(envelope: Envelope): Promise<void>
  /** Every envelope published after this call, by this or any instance, reaches `handler`. */
  subscribe(handler: EnvelopeHandler): () => void
  /** True while the bus can carry envelopes. */
  isHealthy(): boolean
  close(): Promise<void>
}
