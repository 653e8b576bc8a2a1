// Group commit for creates: the creates that arrive while this instance's statements are in flight
// share the next one (their rows, embedding jobs and events, one commit). Each caller still gets its
// own event; within a statement a tenant's seqs follow arrival order, across statements commit order.
import type { Db } from '../db/database.ts'
import type { MemoryRow } from '../db/schema.ts'
import type { StoredEvent } from '../events/types.ts'
import type { MemoryJson } from '../protocol/memory.ts'
import { insertMemories } from './store.ts'

interface Waiting {
  row: MemoryRow
  memory: MemoryJson
  resolve(event: StoredEvent): void
  reject(err: unknown): void
}

export interface CreateBatcher {
  /** Writes the memory (with its job and `memory.created` event); resolves once committed. */
  create(row: MemoryRow, memory: MemoryJson): Promise<StoredEvent>
}

/**
 * `maxBatch`: most creates per statement (default 64). `maxInFlight`: statements at once (default 4):
 * at low load each create goes out at once, as it would alone; under load they queue and share.
 */
export function createBatcher(
  db: Db,
  opts: { maxBatch?: number; maxInFlight?: number } = {},
): CreateBatcher {
  const maxBatch = opts.maxBatch ?? 64
  const maxInFlight = opts.maxInFlight ?? 4
  const queue: Waiting[] = []
  let writing = 0

  function pump(): void {
    while (writing < maxInFlight && queue.length > 0) {
      writing++
      void write(queue.splice(0, maxBatch)).finally(() => {
        writing--
        pump()
      })
    }
  }

  async function write(batch: Waiting[]): Promise<void> {
    try {
      const events = await insertMemories(db, batch)
      for (const [i, w] of batch.entries()) w.resolve(events[i] as StoredEvent)
    } catch (err) {
      if (batch.length === 1) (batch[0] as Waiting).reject(err)
      // One bad row must not fail the others: each is tried on its own, and answered on its own.
      else await Promise.all(batch.map((w) => writeAlone(w)))
    }
  }

  async function writeAlone(w: Waiting): Promise<void> {
    try {
      const [event] = await insertMemories(db, [w])
      w.resolve(event as StoredEvent)
    } catch (err) {
      w.reject(err)
    }
  }

  return {
    create(row, memory) {
      return new Promise<StoredEvent>((resolve, reject) => {
        queue.push({ row, memory, resolve, reject })
        pump()
      })
    },
  }
}
