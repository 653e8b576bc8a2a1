// Background embedding: claims queued jobs, embeds in batches, stores vectors and logs embedding_complete.
import type { Db } from '../db/database.ts'
import type { StoredEvent } from '../events/types.ts'
import type { Logger } from '../telemetry/logger.ts'
import { linkedSpan } from '../telemetry/spans.ts'
import type { Embedder } from './embedder/embedder.ts'
import {
  type ClaimedJob,
  claimJobs,
  deleteJob,
  finishJobs,
  scheduleRetry,
} from './embedding-jobs.ts'
import { lockMemory, updateMemoryRowQuietly } from './queries.ts'

export interface EmbeddingWorkerOptions {
  db: Db
  embedder: Embedder
  log: Logger
  /** Given each embedding_complete event it committed (events/after-commit.ts). */
  afterCommit: (event: StoredEvent) => void
  /** Memories per embedder call (default 16). */
  batchSize?: number
  /** Idle re-check interval, for jobs queued by other instances or due retries (default 1000 ms). */
  pollMs?: number
  /** How long a claim lasts before another worker may take the job (default 60 s). */
  leaseMs?: number
  /** Attempts before a memory is marked `failed` (default 5). */
  maxAttempts?: number
  /** First retry delay; doubles per attempt, capped at 5 minutes (default 1000 ms). */
  retryBaseMs?: number
  /** Told how many memories an embedder call failed for (each is retried, or given up on). */
  onFailed?(count: number): void
}

export interface EmbeddingWorker {
  /** Look for work now rather than at the next poll. */
  wake(): void
  /** Resolves once any batch in flight has finished. */
  stop(): Promise<void>
}

/**
 * Guarantee: every memory whose content was committed gets its embedding computed at least once,
 * even across restarts (jobs live in the database). A result for content that was edited
 * meanwhile is discarded; the edit queued a fresh job.
 */
export function startEmbeddingWorker(opts: EmbeddingWorkerOptions): EmbeddingWorker {
  const { db, embedder, log, afterCommit } = opts
  const batchSize = opts.batchSize ?? 16
  const pollMs = opts.pollMs ?? 1000
  const leaseMs = opts.leaseMs ?? 60_000
  const maxAttempts = opts.maxAttempts ?? 5
  const retryBaseMs = opts.retryBaseMs ?? 1000
  let isRunning = true
  let wakeUp: (() => void) | undefined
  let pending = false

  const sleep = () =>
    new Promise<void>((resolve) => {
      if (pending) {
        pending = false
        return resolve()
      }
      const done = () => {
        clearTimeout(timer)
        wakeUp = undefined
        resolve()
      }
      const timer = setTimeout(done, pollMs)
      wakeUp = done
    })

  async function runBatch(): Promise<number> {
    const now = new Date()
    const jobs = await claimJobs(db, batchSize, now, new Date(now.getTime() + leaseMs))
    if (jobs.length === 0) return 0
    // Its own trace, linked to each write that queued a job: the embedding and its
    // memory.embedding_complete event are found from the create's trace and vice versa.
    const attributes = { 'puo.jobs': jobs.length, 'puo.embedder.model': embedder.model }
    return linkedSpan(
      'embed memories',
      jobs.map((j) => j.trace),
      attributes,
      async () => {
        let vectors: number[][]
        try {
          vectors = await embedder.embed(jobs.map((j) => j.content))
        } catch (err) {
          log.warn('embedding failed', { count: jobs.length, err })
          opts.onFailed?.(jobs.length)
          await Promise.all(jobs.map((j) => fail(j, (err as Error).message)))
          return jobs.length
        }
        await complete(jobs, vectors)
        return jobs.length
      },
    )
  }

  /** Stores a batch of results in one statement; results for since-edited content are dropped. */
  async function complete(jobs: ClaimedJob[], vectors: number[][]): Promise<void> {
    const results = jobs.flatMap((job, i) => {
      const vector = vectors[i]
      return vector ? [{ memoryId: job.memoryId, contentHash: job.contentHash, vector }] : []
    })
    for (const event of await finishJobs(db, embedder.model, results)) afterCommit(event)
  }

  async function fail(job: ClaimedJob, message: string): Promise<void> {
    if (job.attempts < maxAttempts) {
      const backoffMs = Math.min(300_000, retryBaseMs * 2 ** (job.attempts - 1))
      await scheduleRetry(db, job, new Date(Date.now() + backoffMs), message)
      return
    }
    await db.transaction(async (tx) => {
      const memory = await lockMemory(tx, job.tenantId, job.memoryId)
      if (!memory || memory.content !== job.content) return
      await updateMemoryRowQuietly(tx, memory.id, { embeddingStatus: 'failed' })
      await deleteJob(tx, memory.id)
    })
    log.error('embedding gave up', {
      memoryId: job.memoryId,
      attempts: job.attempts,
      error: message,
    })
  }

  const loop = (async () => {
    while (isRunning) {
      try {
        const n = await runBatch()
        if (n > 0) continue
      } catch (err) {
        log.warn('embedding worker could not reach the database', { err })
      }
      if (isRunning) await sleep()
    }
  })()

  return {
    wake() {
      if (wakeUp) wakeUp()
      else pending = true
    },
    async stop() {
      isRunning = false
      wakeUp?.()
      await loop
    },
  }
}
