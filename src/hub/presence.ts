// Presence for the hub: tells the store who connects and leaves here, refreshes entries, and
// announces joins and departures once, to every instance, through the bus.
import type { Bus } from '../bus/bus.ts'
import type { PresenceStore, PresenceUser } from '../presence/presence.ts'
import type { Logger } from '../telemetry/logger.ts'
import type { Registry } from './registry.ts'

export interface PresenceOptions {
  store: PresenceStore
  bus: Pick<Bus, 'publish'>
  origin: string
  registry: Registry
  log: Logger
  /** How long an entry lives without a refresh (a dead instance's users expire within it). */
  ttlMs: number
  /** How long a user whose last socket closed stays online, so a quick reconnect does not flap. */
  graceMs: number
}

export function createPresence(opts: PresenceOptions) {
  const { store, registry, log } = opts
  /** Tenants to sweep although no socket is here any more (our own departures are in grace). */
  const departed = new Map<string, number>()

  function announce(type: 'tenant.user_joined' | 'tenant.user_left', u: PresenceUser): void {
    const presence = { type, userId: u.userId, ...(u.name ? { name: u.name } : {}) }
    opts.bus
      .publish({
        kind: 'presence',
        id: crypto.randomUUID(),
        origin: opts.origin,
        tenant: u.tenantId,
        presence,
      })
      .catch((err: unknown) =>
        log.warn('presence announcement reached this instance only', { err }),
      )
  }

  async function sweep(): Promise<void> {
    const now = Date.now()
    for (const [tenantId, until] of departed) if (until < now) departed.delete(tenantId)
    const tenants = new Set([...registry.tenantIds(), ...departed.keys()])
    if (tenants.size === 0) return
    for (const u of await store.sweep([...tenants], now)) announce('tenant.user_left', u)
  }

  const refresher = setInterval(
    () => {
      store
        .refresh(registry.localUsers(), Date.now() + opts.ttlMs)
        .catch((err: unknown) => log.warn('presence refresh failed', { err }))
    },
    Math.max(50, Math.floor(opts.ttlMs / 3)),
  )
  refresher.unref?.()
  let isSweeping = false
  const sweeper = setInterval(
    () => {
      if (isSweeping) return
      isSweeping = true
      sweep()
        .catch((err: unknown) => log.warn('presence sweep failed', { err }))
        .finally(() => {
          isSweeping = false
        })
    },
    Math.max(50, Math.min(1000, Math.floor(opts.graceMs / 2))),
  )
  sweeper.unref?.()

  return {
    /** The user's first socket on this instance opened. */
    connected(u: PresenceUser): void {
      store
        .connect(u, Date.now() + opts.ttlMs)
        .then((isNew) => isNew && announce('tenant.user_joined', u))
        .catch((err: unknown) => log.warn('presence update failed', { err }))
    },
    /** The user's last socket on this instance closed. */
    disconnected(u: PresenceUser): void {
      const graceUntil = Date.now() + opts.graceMs
      departed.set(u.tenantId, graceUntil + opts.graceMs)
      store
        .disconnect(u, graceUntil)
        .catch((err: unknown) => log.warn('presence update failed', { err }))
    },
    list: (tenantId: string) => store.list(tenantId, Date.now()),
    stop(): void {
      clearInterval(refresher)
      clearInterval(sweeper)
    },
  }
}

export type Presence = ReturnType<typeof createPresence>
