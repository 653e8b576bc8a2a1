// Who is connected to this instance: sockets, per-tenant and per-user counts, presence and counters.
import type { Channel } from '../protocol/frames.ts'
import { channelsOf, type Socket } from './connection.ts'

interface UserState {
  connections: number
  /** Sockets of this user subscribed to `memories` (visibility transitions are sent per user). */
  memorySubscribers: number
  /** Those of them that are live (past any replay): the user's own events are sent to these. */
  live: Socket[]
  name?: string
}

const NO_SOCKETS: readonly Socket[] = []

interface TenantState {
  connections: number
  users: Map<string, UserState>
  subscriptions: Record<Channel, number>
  messagesSent: number
  messagesReceived: number
}

export interface ChannelCounts {
  memories: number
  tenant: number
}

export interface ConnectionStats {
  connections: number
  users: number
  subscriptions: ChannelCounts
  messagesSent: number
  messagesReceived: number
}

export function createRegistry() {
  const sockets = new Set<Socket>()
  const tenants = new Map<string, TenantState>()
  const totals = { messagesSent: 0, messagesReceived: 0 }
  let frameBytes = 0

  const tenantOf = (tenantId: string): TenantState => {
    let t = tenants.get(tenantId)
    if (!t) {
      t = {
        connections: 0,
        users: new Map(),
        subscriptions: { memories: 0, tenant: 0 },
        messagesSent: 0,
        messagesReceived: 0,
      }
      tenants.set(tenantId, t)
    }
    return t
  }

  return {
    sockets: sockets as ReadonlySet<Socket>,
    get size() {
      return sockets.size
    },
    tenantConnections: (tenantId: string) => tenants.get(tenantId)?.connections ?? 0,
    userConnections: (tenantId: string, userId: string) =>
      tenants.get(tenantId)?.users.get(userId)?.connections ?? 0,

    /** Returns true when this is the user's first connection in the tenant (they just came online). */
    add(ws: Socket): boolean {
      sockets.add(ws)
      const { tenantId, userId, name } = ws.data.principal
      const t = tenantOf(tenantId)
      t.connections++
      const u = t.users.get(userId) ?? { connections: 0, memorySubscribers: 0, live: [] }
      u.connections++
      if (name) u.name = name
      t.users.set(userId, u)
      return u.connections === 1
    },

    /** Returns true when this was the user's last connection in the tenant (they went offline). */
    remove(ws: Socket): boolean {
      if (!sockets.delete(ws)) return false
      const { tenantId, userId } = ws.data.principal
      const t = tenants.get(tenantId)
      const u = t?.users.get(userId)
      if (!t || !u) return false
      for (const channel of channelsOf(ws)) this.unsubscribed(ws, channel)
      t.connections--
      u.connections--
      if (u.connections === 0) t.users.delete(userId)
      // Counters stay with the tenant while it has connections; an empty tenant is forgotten.
      if (t.connections === 0) tenants.delete(tenantId)
      return u.connections === 0
    },

    subscribed(ws: Socket, channel: Channel): void {
      const t = tenantOf(ws.data.principal.tenantId)
      t.subscriptions[channel]++
      if (channel === 'memories') {
        const u = t.users.get(ws.data.principal.userId)
        if (u) u.memorySubscribers++
      }
    },

    unsubscribed(ws: Socket, channel: Channel): void {
      const t = tenants.get(ws.data.principal.tenantId)
      if (!t) return
      t.subscriptions[channel]--
      if (channel === 'memories') {
        const u = t.users.get(ws.data.principal.userId)
        if (!u) return
        u.memorySubscribers--
        const i = u.live.indexOf(ws)
        if (i >= 0) u.live.splice(i, 1)
      }
    },

    /** The socket's `memories` subscription is live: its user's own events reach it from now on. */
    goLive(ws: Socket): void {
      const u = tenants.get(ws.data.principal.tenantId)?.users.get(ws.data.principal.userId)
      if (u && !u.live.includes(ws)) u.live.push(ws)
    },

    /** The user's live `memories` sockets here. */
    liveSockets: (tenantId: string, userId: string): readonly Socket[] =>
      tenants.get(tenantId)?.users.get(userId)?.live ?? NO_SOCKETS,

    /** Users of the tenant with at least one socket here subscribed to `memories`. */
    *memoryUsers(tenantId: string): Iterable<string> {
      const t = tenants.get(tenantId)
      if (!t) return
      for (const [userId, u] of t.users) if (u.memorySubscribers > 0) yield userId
    },

    /**
     * Bytes of the frames sent so far, each frame counted once however many sockets it went to.
     * Between two readings no one socket was sent more than the difference (upkeep's bound).
     */
    get frameBytes() {
      return frameBytes
    },

    /** At most `limit` of the users with a socket here (the admin view lists a few, counts all). */
    someLocalUsers(limit: number): { tenantId: string; userId: string; name?: string }[] {
      const out = []
      for (const [tenantId, t] of tenants) {
        for (const [userId, u] of t.users) {
          if (out.length >= limit) return out
          out.push({ tenantId, userId, ...(u.name ? { name: u.name } : {}) })
        }
      }
      return out
    },

    /** How many tenants have at least one socket here. */
    get tenantCount() {
      return tenants.size
    },

    /** Tenants with at least one socket here. */
    tenantIds: (): string[] => [...tenants.keys()],

    /** Every user with at least one socket here. */
    localUsers(): { tenantId: string; userId: string; name?: string }[] {
      return this.someLocalUsers(Number.POSITIVE_INFINITY)
    },

    /** One frame of `bytes` sent to `n` sockets of the tenant. */
    countSent(tenantId: string, n: number, bytes: number): void {
      totals.messagesSent += n
      frameBytes += bytes
      const t = tenants.get(tenantId)
      if (t) t.messagesSent += n
    },

    countReceived(tenantId: string): void {
      totals.messagesReceived++
      const t = tenants.get(tenantId)
      if (t) t.messagesReceived++
    },

    statsFor(tenantId: string): ConnectionStats {
      const t = tenants.get(tenantId)
      return {
        connections: t?.connections ?? 0,
        users: t?.users.size ?? 0,
        subscriptions: { ...(t?.subscriptions ?? { memories: 0, tenant: 0 }) },
        messagesSent: t?.messagesSent ?? 0,
        messagesReceived: t?.messagesReceived ?? 0,
      }
    },

    totals(): ConnectionStats {
      const subscriptions = { memories: 0, tenant: 0 }
      let users = 0
      for (const t of tenants.values()) {
        subscriptions.memories += t.subscriptions.memories
        subscriptions.tenant += t.subscriptions.tenant
        users += t.users.size
      }
      return { connections: sockets.size, users, subscriptions, ...totals }
    },
  }
}

export type Registry = ReturnType<typeof createRegistry>
