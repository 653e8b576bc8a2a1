// Reads the event log back: events after a seq (resume, gap fill) and the retention floor.
import { and, asc, eq, gt, lte, min } from 'drizzle-orm'
import type { BusEvent } from '../bus/bus.ts'
import type { Db } from '../db/database.ts'
import { inIdList } from '../db/id-list.ts'
import { perDatabase } from '../db/per-database.ts'
import { events, logEpoch, tenantSeqs } from '../db/schema.ts'
import { toBusEvent } from './types.ts'

/** Committed events of a tenant with afterSeq < seq ≤ upToSeq (if given), oldest first. */
export async function readEvents(
  db: Db,
  tenantId: string,
  afterSeq: number,
  opts: { upToSeq?: number; limit: number },
): Promise<BusEvent[]> {
  const rows = await db
    .select()
    .from(events)
    .where(
      and(
        eq(events.tenantId, tenantId),
        gt(events.seq, afterSeq),
        ...(opts.upToSeq !== undefined ? [lte(events.seq, opts.upToSeq)] : []),
      ),
    )
    .orderBy(asc(events.seq))
    .limit(opts.limit)
  return rows.map(toBusEvent)
}

/** Lowest seq still in the log for the tenant (older ones were pruned), or undefined if none. */
export async function earliestSeq(db: Db, tenantId: string): Promise<number | undefined> {
  const [row] = await db
    .select({ seq: min(events.seq) })
    .from(events)
    .where(eq(events.tenantId, tenantId))
  return row?.seq ?? undefined
}

/** Latest seqs of the tenants asked for, built once per database handle (see inIdList). */
const seqsStatement = perDatabase((db) =>
  db
    .select({ tenantId: tenantSeqs.tenantId, seq: tenantSeqs.seq })
    .from(tenantSeqs)
    .where(inIdList(tenantSeqs.tenantId, 'ids', 'text'))
    .prepare('tenant_seqs_read'),
)

/** Latest committed seq of each tenant asked for (tenants without events are absent). */
export async function currentSeqs(db: Db, tenantIds: string[]): Promise<Map<string, number>> {
  if (tenantIds.length === 0) return new Map()
  const rows = await seqsStatement(db).execute({ ids: tenantIds })
  return new Map(rows.map((r) => [r.tenantId, r.seq]))
}

/** This log's epoch, created on first use (concurrent first uses agree: the first insert wins). */
export async function readLogEpoch(db: Db): Promise<string> {
  await db
    .insert(logEpoch)
    .values({ id: 1, epoch: crypto.randomUUID(), createdAt: new Date() })
    .onConflictDoNothing()
  const [row] = await db.select({ epoch: logEpoch.epoch }).from(logEpoch).where(eq(logEpoch.id, 1))
  if (!row) throw new Error('log epoch row missing')
  return row.epoch
}
