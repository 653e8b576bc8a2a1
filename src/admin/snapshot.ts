// One instance as the admin view shows it: sockets per tenant, users online here, delivery rate and
// latency, recent closes and refusals, and the state of its bus and database.
import type { ChannelCounts, Registry } from '../hub/registry.ts'
import type { DeliveryWindow, RecentClose, RecentRefusal } from './activity.ts'

/** Users and tenants listed per instance; the counts are always complete. */
export const LISTED = 200

export interface TenantFigures {
  tenantId: string
  connections: number
  users: number
  subscriptions: ChannelCounts
}

export interface InstanceSnapshot {
  instanceId: string
  version: string
  /** When it was taken (ISO 8601). */
  at: string
  uptimeSeconds: number
  connections: number
  users: number
  subscriptions: ChannelCounts
  tenantCount: number
  /** The tenants with the most sockets here, at most LISTED. */
  tenants: TenantFigures[]
  onlineUserCount: number
  /** Users with a socket here, at most LISTED. */
  onlineUsers: { tenantId: string; userId: string; name?: string }[]
  framesSentPerSecond: number
  framesReceivedPerSecond: number
  delivery: DeliveryWindow
  bus: { name: string; isUp: boolean }
  database: { isUp: boolean }
  recentCloses: RecentClose[]
  recentRefusals: RecentRefusal[]
}

export interface SnapshotSources {
  instanceId: string
  version: string
  startedAt: number
  registry: Registry
  activity: {
    recentCloses(): RecentClose[]
    recentRefusals(): RecentRefusal[]
    takeWindow(): DeliveryWindow
  }
  bus: { name: string; isHealthy(): boolean }
  /** Whether the database answered its last check. */
  isDatabaseUp(): boolean
}

/** Takes snapshots; frame rates are per second since the previous snapshot. */
export function createSnapshots(src: SnapshotSources) {
  let last = { at: performance.now(), sent: 0, received: 0 }
  return function take(): InstanceSnapshot {
    const { registry } = src
    const totals = registry.totals()
    const now = performance.now()
    const seconds = Math.max(0.001, (now - last.at) / 1000)
    const rate = (n: number) => Math.round((n / seconds) * 10) / 10
    const framesSentPerSecond = rate(totals.messagesSent - last.sent)
    const framesReceivedPerSecond = rate(totals.messagesReceived - last.received)
    last = { at: now, sent: totals.messagesSent, received: totals.messagesReceived }
    const tenants = registry
      .tenantIds()
      .map((tenantId) => {
        const s = registry.statsFor(tenantId)
        return {
          tenantId,
          connections: s.connections,
          users: s.users,
          subscriptions: s.subscriptions,
        }
      })
      .sort((a, b) => b.connections - a.connections)

    return {
      instanceId: src.instanceId,
      version: src.version,
      at: new Date().toISOString(),
      uptimeSeconds: Math.round((Date.now() - src.startedAt) / 1000),
      connections: totals.connections,
      users: totals.users,
      subscriptions: totals.subscriptions,
      tenantCount: tenants.length,
      tenants: tenants.slice(0, LISTED),
      onlineUserCount: totals.users,
      onlineUsers: registry.someLocalUsers(LISTED),
      framesSentPerSecond,
      framesReceivedPerSecond,
      delivery: src.activity.takeWindow(),
      bus: { name: src.bus.name, isUp: src.bus.isHealthy() },
      database: { isUp: src.isDatabaseUp() },
      recentCloses: src.activity.recentCloses(),
      recentRefusals: src.activity.recentRefusals(),
    }
  }
}
