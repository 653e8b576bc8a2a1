// Bus envelopes for tests: a committed `memory.deleted` event of a team memory, nothing more; an
// admin's disconnect of a user; and a memory as the contract describes it, for events a test publishes.
import type { DisconnectEnvelope, EventEnvelope } from '../../src/bus/bus.ts'
import type { MemoryJson } from '../../src/protocol/memory.ts'

export function testMemory(tenantId: string, fields: Partial<MemoryJson> = {}): MemoryJson {
  const now = new Date().toISOString()
  return {
    id: crypto.randomUUID(),
    tenantId,
    ownerId: 'someone',
    title: null,
    content: 'test',
    tags: [],
    metadata: {},
    visibility: 'team',
    version: 1,
    embedding: { status: 'pending', model: null, dimensions: null },
    createdAt: now,
    updatedAt: now,
    ...fields,
  }
}

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

/** What an admin's "disconnect this user" puts on the bus. */
export function disconnectEnvelope(tenant: string, userId: string): DisconnectEnvelope {
  return {
    kind: 'disconnect',
    id: crypto.randomUUID(),
    origin: 'admin',
    tenant,
    disconnect: { userId, reason: 'disconnected by an admin' },
  }
}
