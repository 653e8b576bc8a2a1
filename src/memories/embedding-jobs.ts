// Queries of the embedding job queue: claim due jobs, finish them, or schedule a retry.
import { and, eq, type SQL, sql } from 'drizzle-orm'
import { type Db, rowsOf, type Tx } from '../db/database.ts'
import { embeddingJobs } from '../db/schema.ts'
import type { CteWrite } from '../events/log.ts'

export interface ClaimedJob {
  memoryId: string
  tenantId: string
  content: string
  attempts: number
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
  // One statement: the due jobs are locked (skipping those another worker holds), leased, and read
  // with their memories' content.
  const rows = await rowsOf<{
    memory_id: string
    tenant_id: string
    attempts: number
    content: string
  }>(
    db,
    sql`with due as (
        select memory_id from embedding_jobs
        where run_after <= ${now.toISOString()}::timestamptz
          and (claimed_until is null or claimed_until < ${now.toISOString()}::timestamptz)
        order by run_after
        limit ${limit}
        for update skip locked
      ),
      claimed as (
        update embedding_jobs j
        set claimed_until = ${leaseUntil.toISOString()}::timestamptz, attempts = j.attempts + 1
        from due where j.memory_id = due.memory_id
        returning j.memory_id, j.tenant_id, j.attempts
      )
      select c.memory_id, c.tenant_id, c.attempts, m.content
      from claimed c join memories m on m.id = c.memory_id`,
  )
  return rows.map((r) => ({
    memoryId: r.memory_id,
    tenantId: r.tenant_id,
    attempts: Number(r.attempts),
    content: r.content,
  }))
}

/** Removes the jobs of the memories `ids` (a subquery) selects, as a write in their results' statement. */
export function finishJobsWrite(ids: SQL): CteWrite {
  return {
    name: 'finished_jobs',
    query: sql`delete from embedding_jobs where memory_id in (${ids}) returning memory_id`,
  }
}

export async function deleteJob(tx: Tx, memoryId: string): Promise<void> {
  await tx.delete(embeddingJobs).where(eq(embeddingJobs.memoryId, memoryId))
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
