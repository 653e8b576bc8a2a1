// GET /api/v4/ws/status (this instance's sockets, per tenant) and /api/v4/presence (who is online).
import { Elysia } from 'elysia'
import type { AuthDeps } from '../auth/authenticate.ts'
import { authPlugin, requireScope } from '../auth/plugin.ts'
import type { Registry } from './registry.ts'

export interface StatusDeps {
  registry: Registry
  instanceId: string
  startedAt: number
  /** Users online in a tenant, across instances. */
  onlineUsers: (tenantId: string) => Promise<{ userId: string; name?: string }[]>
}

export function realtimeStatusController(deps: StatusDeps, auth: AuthDeps) {
  return new Elysia({ tags: ['realtime'] })
    .use(authPlugin(auth))
    .get(
      '/ws/status',
      ({ principal }) => {
        requireScope(principal, 'read')
        const isAdmin = principal.scopes.includes('admin')
        return {
          instanceId: deps.instanceId,
          uptime: Math.round((Date.now() - deps.startedAt) / 1000),
          scope: isAdmin ? 'instance' : 'tenant',
          ...(isAdmin ? deps.registry.totals() : deps.registry.statsFor(principal.tenantId)),
        }
      },
      {
        detail: {
          summary: "WebSocket figures of this instance (the caller's tenant unless admin)",
        },
      },
    )
    .get(
      '/presence',
      async ({ principal }) => {
        requireScope(principal, 'read')
        return { data: await deps.onlineUsers(principal.tenantId) }
      },
      { detail: { summary: "Users of the caller's tenant online, on any instance" } },
    )
}
