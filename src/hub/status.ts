// GET /api/v4/ws/status and /api/v4/presence: what this instance's sockets look like, per tenant.
import { Elysia } from 'elysia'
import type { AuthDeps } from '../auth/authenticate.ts'
import { authPlugin, requireScope } from '../auth/plugin.ts'
import type { Registry } from './registry.ts'

export interface StatusDeps {
  registry: Registry
  instanceId: string
  startedAt: number
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
      ({ principal }) => {
        requireScope(principal, 'read')
        return { data: deps.registry.onlineUsers(principal.tenantId) }
      },
      { detail: { summary: "Users of the caller's tenant connected to this instance" } },
    )
}
