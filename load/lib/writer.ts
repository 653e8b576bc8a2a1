// The writing side of a scenario: an open-loop stream of writes at a fixed rate, round-robin over
// tenants, each carrying its marker. Records which writes succeeded, per tenant, as bitmaps.
import { marker, tenantId, wallMs } from './fleet.ts'
import type { Target } from './targets.ts'

export interface WriteStats {
  offered: number
  succeeded: number
  failed: number
  /** Not sent because `maxInFlight` writes were already waiting (the target could not keep up). */
  skipped: number
}

export function createWriter(target: Target, tenants: number, maxInFlight = 2000) {
  const next = new Array<number>(tenants).fill(0)
  const succeeded = Array.from({ length: tenants }, () => new Uint8Array(16))
  const stats: WriteStats = { offered: 0, succeeded: 0, failed: 0, skipped: 0 }
  const statuses = new Map<number, number>()
  let inFlight = 0
  let rr = 0

  function mark(t: number, n: number): void {
    let bits = succeeded[t] as Uint8Array
    if (n >= bits.length * 8) {
      const grown = new Uint8Array(Math.max(bits.length * 2, (n >> 3) + 1))
      grown.set(bits)
      bits = grown
      succeeded[t] = grown
    }
    bits[n >> 3] = (bits[n >> 3] as number) | (1 << (n & 7))
  }

  function writeOne(): Promise<void> | undefined {
    stats.offered++
    if (inFlight >= maxInFlight) {
      stats.skipped++
      return undefined
    }
    const t = rr++ % tenants
    const n = (next[t] as number) + 1
    next[t] = n
    inFlight++
    return target
      .write(tenantId(t), marker(t, n, wallMs()))
      .then(
        (status) => {
          statuses.set(status, (statuses.get(status) ?? 0) + 1)
          if (status >= 200 && status < 300) {
            stats.succeeded++
            mark(t, n)
          } else stats.failed++
        },
        () => {
          stats.failed++
          statuses.set(0, (statuses.get(0) ?? 0) + 1)
        },
      )
      .finally(() => {
        inFlight--
      })
  }

  return {
    stats,
    succeeded,
    statuses,
    /** Writes at `perSecond` for `seconds` (open loop: lateness does not lower the rate); waits for all. */
    async run(perSecond: number, seconds: number): Promise<void> {
      const total = Math.round(perSecond * seconds)
      const pending: Promise<void>[] = []
      const t0 = performance.now()
      for (let i = 1; i <= total; i++) {
        const wait = t0 + (i * 1000) / perSecond - performance.now()
        if (wait > 1) await Bun.sleep(wait)
        const p = writeOne()
        if (p) pending.push(p)
      }
      await Promise.all(pending)
    },
  }
}

export type Writer = ReturnType<typeof createWriter>
