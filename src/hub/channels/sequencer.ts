// Per-tenant ordering for the hub: each watched tenant's events are emitted once, in seq order, with no gap.
import type { BusEvent } from '../../bus/bus.ts'
import type { Logger } from '../../telemetry/logger.ts'

export interface SequencerDeps {
  /** Committed events of the tenant after `afterSeq`, oldest first, at most `limit`. */
  readLog(tenantId: string, afterSeq: number, limit: number): Promise<BusEvent[]>
  /** Latest committed seq per tenant. */
  currentSeqs(tenantIds: string[]): Promise<Map<string, number>>
  /** Receives every event of a watched tenant exactly once, in seq order. */
  emit(event: BusEvent): void
  log: Logger
  /** Told how many events a gap fill read from the log (the bus had missed them). */
  onFilled?(count: number): void
  /** How long an out-of-order event waits for the gap to fill from the bus before the log is read (default 50 ms). */
  gapWaitMs?: number
}

interface TenantState {
  watchers: number
  /** Highest seq emitted; undefined until the starting point has been read. */
  delivered: number | undefined
  ready: Promise<number>
  pending: Map<number, BusEvent>
  isFilling: boolean
  gapTimer: ReturnType<typeof setTimeout> | undefined
}

const FILL_BATCH = 500

/**
 * Guarantee: for a watched tenant, `emit` sees seq delivered+1, delivered+2, … and nothing twice,
 * whatever the bus does (drops, duplicates, reorders). A gap — a later seq arrived first — is first
 * given `gapWaitMs` to close by itself, then filled from the log: since seq order is commit order, a
 * committed seq N means every seq below N is committed and readable. `syncAll` (anti-entropy) closes
 * gaps at the tail that no later event revealed, e.g. after a bus outage or a writer that died
 * between its commit and its publish.
 */
export function createSequencer(deps: SequencerDeps) {
  const tenants = new Map<string, TenantState>()
  const gapWaitMs = deps.gapWaitMs ?? 50

  function drain(tenantId: string, st: TenantState): void {
    if (st.delivered === undefined) return
    for (const seq of st.pending.keys()) if (seq <= st.delivered) st.pending.delete(seq)
    let next = st.pending.get(st.delivered + 1)
    while (next) {
      st.pending.delete(next.seq)
      st.delivered = next.seq
      deps.emit(next)
      next = st.pending.get(st.delivered + 1)
    }
    if (st.pending.size > 0) scheduleFill(tenantId, st, gapWaitMs)
  }

  function scheduleFill(tenantId: string, st: TenantState, delayMs: number): void {
    if (st.gapTimer || st.isFilling) return
    st.gapTimer = setTimeout(() => {
      st.gapTimer = undefined
      void fill(tenantId, st)
    }, delayMs)
  }

  /** Reads the log after `delivered` until caught up with what is pending or committed. */
  async function fill(tenantId: string, st: TenantState, upTo?: number): Promise<void> {
    if (st.isFilling || st.delivered === undefined || tenants.get(tenantId) !== st) return
    st.isFilling = true
    try {
      for (;;) {
        const from: number = st.delivered
        const batch = await deps.readLog(tenantId, from, FILL_BATCH)
        let missed = 0
        for (const e of batch) {
          if (e.seq <= from || st.pending.has(e.seq)) continue
          st.pending.set(e.seq, e)
          missed++
        }
        if (missed > 0) deps.onFilled?.(missed)
        drain(tenantId, st)
        const target = Math.max(upTo ?? 0, ...st.pending.keys())
        if (batch.length < FILL_BATCH || st.delivered >= target) break
      }
    } catch (err) {
      deps.log.warn('could not read the event log to fill a gap; retrying', { tenantId, err })
      st.isFilling = false
      scheduleFill(tenantId, st, 1000)
      return
    }
    st.isFilling = false
    if (st.pending.size > 0) scheduleFill(tenantId, st, gapWaitMs)
  }

  return {
    /**
     * Starts (or joins) ordered delivery for a tenant; resolves with the seq from which it is ordered:
     * every event after it will be emitted.
     */
    watch(tenantId: string): Promise<number> {
      const existing = tenants.get(tenantId)
      if (existing) {
        existing.watchers++
        return existing.ready
      }
      const st: TenantState = {
        watchers: 1,
        delivered: undefined,
        ready: Promise.resolve(0),
        pending: new Map(),
        isFilling: false,
        gapTimer: undefined,
      }
      st.ready = deps.currentSeqs([tenantId]).then(
        (seqs) => {
          st.delivered = seqs.get(tenantId) ?? 0
          drain(tenantId, st)
          return st.delivered
        },
        (err: unknown) => {
          if (tenants.get(tenantId) === st) tenants.delete(tenantId)
          throw err
        },
      )
      tenants.set(tenantId, st)
      return st.ready
    },

    unwatch(tenantId: string): void {
      const st = tenants.get(tenantId)
      if (!st || --st.watchers > 0) return
      if (st.gapTimer) clearTimeout(st.gapTimer)
      tenants.delete(tenantId)
    },

    /** An event from the bus (or the local writer). Events of unwatched tenants are ignored. */
    offer(event: BusEvent): void {
      const st = tenants.get(event.tenantId)
      if (!st) return
      if (st.delivered !== undefined && event.seq <= st.delivered) return
      st.pending.set(event.seq, event)
      drain(event.tenantId, st)
    },

    /** Commit time (ms) of the oldest event held back waiting for a gap to fill, if any. */
    oldestPendingAt(): number | undefined {
      let oldest: number | undefined
      for (const st of tenants.values()) {
        for (const e of st.pending.values()) {
          const at = Date.parse(e.createdAt)
          if (oldest === undefined || at < oldest) oldest = at
        }
      }
      return oldest
    },

    /** Highest seq emitted for the tenant, if it is watched and ready. */
    highWater(tenantId: string): number | undefined {
      return tenants.get(tenantId)?.delivered
    },

    /** Anti-entropy: compares every watched tenant with the log and fills what the bus missed. */
    async syncAll(): Promise<void> {
      const ids = [...tenants.keys()]
      if (ids.length === 0) return
      const seqs = await deps.currentSeqs(ids)
      await Promise.all(
        ids.map(async (id) => {
          const st = tenants.get(id)
          const committed = seqs.get(id) ?? 0
          if (st?.delivered !== undefined && committed > st.delivered) await fill(id, st, committed)
        }),
      )
    },

    watchedTenants(): string[] {
      return [...tenants.keys()]
    },
  }
}

export type Sequencer = ReturnType<typeof createSequencer>
