// What happened on this instance lately, for the admin view: the last closes and refusals with their
// codes, and the deliveries since the last snapshot (rate and latency).

/** Closes and refusals kept per instance (the newest first in a snapshot). */
const RECENT = 50
/** Latency samples kept between two snapshots; past it every other one is dropped (even thinning). */
const MAX_SAMPLES = 2000

export interface RecentClose {
  at: string
  tenantId: string
  userId: string
  code: number
  reason: string
}

export interface RecentRefusal {
  at: string
  status: number
  code: string
  message: string
}

export interface DeliveryWindow {
  /** Events fanned out per second since the previous window. */
  eventsPerSecond: number
  /** Frames handed to sockets per second (an event reaching 100 sockets counts 100). */
  deliveriesPerSecond: number
  p50Ms: number | null
  p99Ms: number | null
}

export function createActivity() {
  const closes: RecentClose[] = []
  const refusals: RecentRefusal[] = []
  let samples: number[] = []
  let events = 0
  let deliveries = 0
  let windowStart = performance.now()

  const push = <T>(list: T[], item: T) => {
    list.push(item)
    if (list.length > RECENT) list.shift()
  }

  return {
    closed(c: Omit<RecentClose, 'at'>): void {
      push(closes, { at: new Date().toISOString(), ...c, reason: c.reason.slice(0, 120) })
    },
    refused(r: Omit<RecentRefusal, 'at'>): void {
      push(refusals, { at: new Date().toISOString(), ...r, message: r.message.slice(0, 160) })
    },
    delivered(latencyMs: number, sockets: number): void {
      events++
      deliveries += sockets
      samples.push(latencyMs)
      if (samples.length > MAX_SAMPLES) samples = samples.filter((_, i) => i % 2 === 0)
    },
    recentCloses: (): RecentClose[] => [...closes].reverse(),
    recentRefusals: (): RecentRefusal[] => [...refusals].reverse(),
    /** The deliveries since the previous call, and a new window from now. */
    takeWindow(): DeliveryWindow {
      const now = performance.now()
      const seconds = Math.max(0.001, (now - windowStart) / 1000)
      const sorted = samples.sort((a, b) => a - b)
      const at = (q: number) =>
        sorted.length === 0
          ? null
          : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number)
      const out = {
        eventsPerSecond: round(events / seconds),
        deliveriesPerSecond: round(deliveries / seconds),
        p50Ms: at(0.5),
        p99Ms: at(0.99),
      }
      samples = []
      events = 0
      deliveries = 0
      windowStart = now
      return out
    },
  }
}

const round = (n: number) => Math.round(n * 10) / 10

export type Activity = ReturnType<typeof createActivity>
