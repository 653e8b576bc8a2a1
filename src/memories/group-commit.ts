// Group commit for creates: creates that arrive while this instance's create statements are in
// flight share the next statement (their rows, jobs and events, one commit). Each caller still gets
// its own events; a tenant's seqs follow arrival order within a statement, commit order across them.
import type { Db } from '../db/database.ts'
import { perDatabase } from '../db/per-database.ts'
import type { StoredEvent } from '../events/types.ts'
import { insertMemories, type NewMemory } from './queries.ts'

/** Create statements in flight at once per instance; arrivals meanwhile go together in the next.
 * Measured best at one: more in flight make smaller groups, so fewer creates per second and more
 * database work per create (docs/PERFORMANCE.md). */
const MAX_IN_FLIGHT = 1
/** Most creates per statement. */
const MAX_GROUP = 64

interface Waiting {
  memory: NewMemory
  resolve(events: StoredEvent[]): void
  reject(err: unknown): void
}

function groupCommitter(db: Db) {
  const queue: Waiting[] = []
  let inFlight = 0

  async function write(group: Waiting[]): Promise<void> {
    try {
      const events = await insertMemories(
        db,
        group.map((w) => w.memory),
      )
      for (const [i, w] of group.entries()) w.resolve(events[i] as StoredEvent[])
    } catch (err) {
      if (group.length === 1) return (group[0] as Waiting).reject(err)
      // One bad create must not fail the others: each is tried alone and answered alone.
      for (const w of group) await write([w])
    }
  }

  function next(): void {
    while (inFlight < MAX_IN_FLIGHT && queue.length > 0) {
      inFlight++
      void write(queue.splice(0, MAX_GROUP)).finally(() => {
        inFlight--
        next()
      })
    }
  }

  /** Stores the memory and its events (insertMemories); resolves with them once committed. */
  return (memory: NewMemory): Promise<StoredEvent[]> =>
    new Promise((resolve, reject) => {
      queue.push({ memory, resolve, reject })
      next()
    })
}

export const createIn = perDatabase(groupCommitter)
