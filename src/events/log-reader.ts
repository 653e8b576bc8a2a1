// The event log as the hub reads it (gap fill, resume), bound to a database.
import { and, eq, sql } from 'drizzle-orm'
import type { BusEvent } from '../bus/bus.ts'
import type { Db } from '../db/database.ts'
import { inIdList } from '../db/id-list.ts'
import { perDatabase } from '../db/per-database.ts'
import { memories } from '../db/schema.ts'
import { currentSeqs, earliestSeq, readEvents, readLogEpoch } from './read.ts'

/** What the hub reads from the log: gap fill, resume and history. */
export interface EventLogReader {
  /** The id of this event log: positions from another log (a reset database) are refused. */
  logEpoch(): Promise<string>
  readEvents(
    tenantId: string,
    afterSeq: number,
    opts: { upToSeq?: number; limit: number },
  ): Promise<BusEvent[]>
  currentSeqs(tenantIds: string[]): Promise<Map<string, number>>
  earliestSeq(tenantId: string): Promise<number | undefined>
  /** Owner and visibility of the memories that still exist, by id. */
  memoryAccess(
    tenantId: string,
    ids: string[],
  ): Promise<Map<string, { ownerId: string; visibility: string }>>
}

/** Owner and visibility of memories by id, built once per database handle (see inIdList). */
const accessStatement = perDatabase((db) =>
  db
    .select({ id: memories.id, ownerId: memories.ownerId, visibility: memories.visibility })
    .from(memories)
    .where(
      and(eq(memories.tenantId, sql.placeholder('tenantId')), inIdList(memories.id, 'ids', 'uuid')),
    )
    .prepare('memory_access_read'),
)

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
      const rows = await accessStatement(db).execute({ tenantId, ids })
      return new Map(rows.map((r) => [r.id, { ownerId: r.ownerId, visibility: r.visibility }]))
    },
  }
}
