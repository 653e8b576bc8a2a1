// The `tenant` channel: who is online in the tenant. Tells the presence store who connects and
// leaves here, refreshes entries, announces joins and departures once to every instance through
// the bus, and fans the announcements out to the channel's sockets.
import type { Bus, PresenceEnvelope } from '../../bus/bus.ts'
import type { PresenceStore, PresenceUser } from '../../presence/presence.ts'
import { encodeFrame } from '../../protocol/encode.ts'
import { presenceTopic } from '../../protocol/topics.ts'
import type { Logger } from '../../telemetry/logger.ts'
import { addChannel, dropChannel, type Socket } from '../connection.ts'
import type { Outbox } from '../outbox.ts'
import type { Registry } from '../registry.ts'
import type { ChannelModule } from './channel.ts'

export interface TenantChannelOptions {
  store: PresenceStore
  bus: Pick<Bus, 'publish'>
  origin: string
  registry: Registry
  out: Outbox
  log: Logger
  /** The tenant's event-log position, which `subscribed` carries on every channel. */
  position(tenantId: string): number
  /** How long an entry lives without a refresh (a dead instance's users expire within it). */
  ttlMs: number
  /** How long a user whose last socket closed stays online, so a quick reconnect does not flap. */
  graceMs: number
}

const userOf = (ws: Socket): PresenceUser => {
  const { tenantId, userId, name } = ws.data.principal
  return { tenantId, userId, ...(name ? { name } : {}) }
}

export function createTenantChannel(opts: TenantChannelOptions) {
  const { store, registry, out, log } = opts
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

  const channel: ChannelModule = {
    subscribe(ws, _position, id) {
      const { tenantId } = ws.data.principal
      if (addChannel(ws, 'tenant')) {
        ws.subscribe(presenceTopic(tenantId))
        registry.subscribed(ws, 'tenant')
      }
      out.send(ws, 'subscribed', { channel: 'tenant', seq: opts.position(tenantId) }, id)
    },
    unsubscribe(ws, id) {
      if (dropChannel(ws, 'tenant')) {
        ws.unsubscribe(presenceTopic(ws.data.principal.tenantId))
        registry.unsubscribed(ws, 'tenant')
      }
      out.send(ws, 'unsubscribed', { channel: 'tenant' }, id)
    },
    // Bun drops a closed socket's topics; the registry forgets its counts.
    release() {},
  }

  return {
    ...channel,
    /** A join or departure announced by any instance, to this instance's sockets on the channel. */
    deliver(envelope: PresenceEnvelope): void {
      const { type, userId, name } = envelope.presence
      const frame = encodeFrame(type, { userId, ...(name ? { name } : {}) }, envelope.id)
      out.publish(envelope.tenant, presenceTopic(envelope.tenant), frame, type)
    },
    /** The user's first socket on this instance opened. */
    connected(ws: Socket): void {
      const u = userOf(ws)
      store
        .connect(u, Date.now() + opts.ttlMs)
        .then((isNew) => isNew && announce('tenant.user_joined', u))
        .catch((err: unknown) => log.warn('presence update failed', { err }))
    },
    /** The user's last socket on this instance closed. */
    disconnected(ws: Socket): void {
      const u = userOf(ws)
      const graceUntil = Date.now() + opts.graceMs
      departed.set(u.tenantId, graceUntil + opts.graceMs)
      store
        .disconnect(u, graceUntil)
        .catch((err: unknown) => log.warn('presence update failed', { err }))
    },
    /** Users online in the tenant, on any instance. */
    online: (tenantId: string) => store.list(tenantId, Date.now()),
    stop(): void {
      clearInterval(refresher)
      clearInterval(sweeper)
    },
  }
}
