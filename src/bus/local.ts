// In-process bus: delivers synchronously to this process's subscribers. One instance only.
import type { Bus, Envelope, EnvelopeHandler } from './bus.ts'

export interface LocalBusOptions {
  /** Fault injection for tests: when it returns true, publish rejects and delivers nothing. */
  shouldFailPublish?: (envelope: Envelope) => boolean
}

export function createLocalBus(opts: LocalBusOptions = {}): Bus {
  const handlers = new Set<EnvelopeHandler>()
  return {
    name: 'local',
    async publish(envelope) {
      if (opts.shouldFailPublish?.(envelope))
        throw new Error('local bus: publish failed (injected)')
      for (const h of handlers) h(envelope)
    },
    subscribe(handler) {
      handlers.add(handler)
      return () => handlers.delete(handler)
    },
    // One process: every tenant is always "watched", and there is nothing to recover from.
    watch: async () => {},
    unwatch: () => {},
    onRecover: () => {},
    isHealthy: () => true,
    async close() {
      handlers.clear()
    },
  }
}
