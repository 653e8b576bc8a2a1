// In-process presence for a single instance (no REDIS_URL): the same rules as Redis, in a Map.
import type { PresenceStore, PresenceUser } from './presence.ts'

export function createLocalPresence(): PresenceStore {
  const tenants = new Map<string, Map<string, { until: number; name?: string }>>()
  /** No entry expires before this: a sweep before it has nothing to do (and skips the walk). */
  let earliest = Number.POSITIVE_INFINITY
  const entriesOf = (tenantId: string) => {
    let t = tenants.get(tenantId)
    if (!t) {
      t = new Map()
      tenants.set(tenantId, t)
    }
    return t
  }
  // Entries are updated in place: a refresh of every online user allocates nothing.
  const set = (u: PresenceUser, until: number) => {
    const entries = entriesOf(u.tenantId)
    const prev = entries.get(u.userId)
    if (prev) {
      prev.until = until
      if (u.name) prev.name = u.name
    } else entries.set(u.userId, { until, ...(u.name ? { name: u.name } : {}) })
    if (until < earliest) earliest = until
  }
  return {
    async connect(u, liveUntil) {
      const prev = tenants.get(u.tenantId)?.get(u.userId)
      set(u, liveUntil)
      return prev === undefined || prev.until < Date.now()
    },
    async disconnect(u, graceUntil) {
      if (tenants.get(u.tenantId)?.has(u.userId)) set(u, graceUntil)
    },
    async refresh(users, liveUntil) {
      for (const u of users) set(u, liveUntil)
    },
    async sweep(tenantIds, now) {
      const gone: PresenceUser[] = []
      if (now <= earliest) return gone
      let next = Number.POSITIVE_INFINITY
      const swept = new Set(tenantIds)
      let unswept = tenants.size
      for (const tenantId of swept) {
        const t = tenants.get(tenantId)
        if (!t) continue
        unswept--
        for (const [userId, e] of t) {
          if (e.until >= now) {
            if (e.until < next) next = e.until
            continue
          }
          t.delete(userId)
          gone.push({ tenantId, userId, ...(e.name ? { name: e.name } : {}) })
        }
        if (t.size === 0) tenants.delete(tenantId)
      }
      // Tenants not swept this time keep their entries: their deadlines still bound the next sweep.
      if (unswept > 0) {
        for (const [id, t] of tenants) {
          if (swept.has(id)) continue
          for (const e of t.values()) if (e.until < next) next = e.until
        }
      }
      earliest = next
      return gone
    },
    async list(tenantId, now) {
      const t = tenants.get(tenantId)
      if (!t) return []
      return [...t]
        .filter(([, e]) => e.until >= now)
        .map(([userId, e]) => ({ userId, ...(e.name ? { name: e.name } : {}) }))
    },
  }
}
