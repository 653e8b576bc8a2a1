// The bus seam between the event log and the hubs: envelopes of committed events, one interface, two drivers.

/** A committed event as it travels between instances (JSON-safe). */
export interface BusEvent {
  id: string
  tenantId: string
  seq: number
  type: string
  memoryId: string
  ownerId: string
  visibility: 'private' | 'team'
  payload: Record<string, unknown>
  /** Commit-side time, ISO 8601. */
  createdAt: string
}

/** A user came online or went offline in a tenant (decided by the presence store, announced once). */
export interface PresenceChange {
  type: 'tenant.user_joined' | 'tenant.user_left'
  userId: string
  name?: string
}

interface EnvelopeBase {
  /** Unique per message; for events it equals event.id. */
  id: string
  /** Instance that published it; an instance ignores its own echo from a shared bus. */
  origin: string
  tenant: string
}

export interface EventEnvelope extends EnvelopeBase {
  kind: 'event'
  seq: number
  event: BusEvent
  /** W3C traceparent of the write, so one trace follows the event to every instance's sockets. */
  trace?: string
}

export interface PresenceEnvelope extends EnvelopeBase {
  kind: 'presence'
  presence: PresenceChange
}

/** Sockets to end because their credential was withdrawn: by API key, or every socket of a user. */
export interface DisconnectEnvelope extends EnvelopeBase {
  kind: 'disconnect'
  disconnect: { keyId: string; reason: string } | { userId: string; reason: string }
}

export type Envelope = EventEnvelope | PresenceEnvelope | DisconnectEnvelope

export type EnvelopeHandler = (envelope: Envelope) => void

/**
 * Guarantees: at most once, and in publish order per publisher. Completeness comes from the event
 * log (clients resume from it), never from the bus. `publish` never throws for a delivery problem:
 * it reports failure by rejecting, and the caller decides whether to retry.
 */
export interface Bus {
  readonly name: string
  /**
   * Hands the envelope to this process's handlers at once (synchronously), then to other instances.
   * Rejects if other instances could not be reached; local delivery has happened regardless.
   */
  publish(envelope: Envelope): Promise<void>
  /** Envelopes of watched tenants published after this call, by this or any instance, reach `handler`. */
  subscribe(handler: EnvelopeHandler): () => void
  /** Start receiving other instances' envelopes of this tenant (idempotent; the caller counts sockets). */
  watch(tenantId: string): Promise<void>
  /** Stop receiving them (idempotent). */
  unwatch(tenantId: string): void
  /** Called whenever the bus has recovered from an outage (anything sent meanwhile is lost). */
  onRecover(callback: () => void): void
  /** True while the bus can carry envelopes to other instances. */
  isHealthy(): boolean
  close(): Promise<void>
}
