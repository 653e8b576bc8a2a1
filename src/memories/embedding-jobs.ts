// Queries of the embedding job queue: claim due jobs, finish them, schedule a retry, count the queue.
import { and, asc, eq, inArray, isNull, lt, lte, or, sql } from 'drizzle-orm'
import type { Db, Tx } from '../db/database.ts'
import { embeddingJobs, memories } from '../db/schema.ts'

export interface ClaimedJob {
  memoryId: string
  tenantId: string
  content: string
  attempts: number
  /** W3C traceparent of the write that queued it, when that write was traced. */
  trace: string | null
}

/**
 * Leases up to `limit` due jobs until `leaseUntil`. SKIP LOCKED lets several instances claim
 * side by side without taking the same job; a lease that runs out (crashed worker) is claimable again.
 */
export async function claimJobs(
  db: Db,
  limit: number,
  now: Date,
  leaseUntil: Date,
): Promise<ClaimedJob[]> {
  return db.transaction(async (tx) => {
    const due = await tx
      .select({ memoryId: embeddingJobs.memoryId })
      .from(embeddingJobs)
      .where(
        and(
          lte(embeddingJobs.runAfter, now),
          or(isNull(embeddingJobs.claimedUntil), lt(embeddingJobs.claimedUntil, now)),
        ),
      )
      .orderBy(asc(embeddingJobs.runAfter))
      .limit(limit)
      .for('update', { skipLocked: true })
    if (due.length === 0) return []
    const ids = due.map((d) => d.memoryId)
    const claimed = await tx
      .update(embeddingJobs)
      .set({ claimedUntil: leaseUntil, attempts: sql`${embeddingJobs.attempts} + 1` })
      .where(inArray(embeddingJobs.memoryId, ids))
      .returning({
        memoryId: embeddingJobs.memoryId,
        tenantId: embeddingJobs.tenantId,
        attempts: embeddingJobs.attempts,
        trace: embeddingJobs.trace,
      })
    const contents = await tx
      .select({ id: memories.id, content: memories.content })
      .from(memories)
      .where(inArray(memories.id, ids))
    const byId = new Map(contents.map((c) => [c.id, c.content]))
    return claimed.flatMap((c) => {
      const content = byId.get(c.memoryId)
      return content === undefined ? [] : [{ ...c, content }]
    })
  })
}

export async function deleteJob(tx: Tx, memoryId: string): Promise<void> {
  await tx.delete(embeddingJobs).where(eq(embeddingJobs.memoryId, memoryId))
}

export async function deleteJobs(tx: Tx, memoryIds: string[]): Promise<void> {
  if (memoryIds.length > 0)
    await tx.delete(embeddingJobs).where(inArray(embeddingJobs.memoryId, memoryIds))
}

/** Releases the lease and schedules the next attempt, unless an update re-queued the job meanwhile. */
export async function scheduleRetry(
  db: Db,
  job: ClaimedJob,
  runAfter: Date,
  error: string,
): Promise<void> {
  await db
    .update(embeddingJobs)
    .set({ claimedUntil: null, runAfter, lastError: error.slice(0, 500) })
    .where(and(eq(embeddingJobs.memoryId, job.memoryId), eq(embeddingJobs.attempts, job.attempts)))
}

/** Memories waiting for an embedding, claimed or not (every instance's). */
export async function queueDepth(db: Db): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(embeddingJobs)
  return row?.n ?? 0
}
