// Bus envelopes for tests: a committed `memory.deleted` event of a team memory, nothing more.
import type { EventEnvelope } from '../../src/bus/bus.ts'

export function testEnvelope(tenant: string, seq: number, origin = 'a'): EventEnvelope {
  const id = crypto.randomUUID()
  return {
    kind: 'event',
    id,
    origin,
    tenant,
    seq,
    event: {
      id,
      tenantId: tenant,
      seq,
      type: 'memory.deleted',
      memoryId: crypto.randomUUID(),
      ownerId: 'o',
      visibility: 'team',
      payload: {},
      createdAt: new Date().toISOString(),
    },
  }
}
