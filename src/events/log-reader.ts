// The event log as the hub reads it (gap fill, resume), bound to a database.
import { and, eq, inArray } from 'drizzle-orm'
import type { Db } from '../db/database.ts'
import { memories } from '../db/schema.ts'
import type { EventLogReader } from '../hub/memory-feed.ts'
import { currentSeqs, earliestSeq, readEvents, readLogEpoch } from './read.ts'

export function eventLogReader(db: Db): EventLogReader {
  let epoch: Promise<string> | undefined
  return {
    // Read once per instance; a failed read is retried on the next call.
    logEpoch() {
      epoch ??= readLogEpoch(db).catch((err: unknown) => {
        epoch = undefined
        throw err
      })
      return epoch
    },
    readEvents: (tenantId, afterSeq, opts) => readEvents(db, tenantId, afterSeq, opts),
    currentSeqs: (ids) => currentSeqs(db, ids),
    earliestSeq: (tenantId) => earliestSeq(db, tenantId),
    async memoryAccess(tenantId, ids) {
      if (ids.length === 0) return new Map()
      const rows = await db
        .select({ id: memories.id, ownerId: memories.ownerId, visibility: memories.visibility })
        .from(memories)
        .where(and(eq(memories.tenantId, tenantId), inArray(memories.id, ids)))
      return new Map(rows.map((r) => [r.id, { ownerId: r.ownerId, visibility: r.visibility }]))
    },
  }
}
