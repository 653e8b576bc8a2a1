// GET /admin (the page) and its API: every instance's latest snapshot, and disconnecting a user.
// The admin scope is the operator's: it sees every tenant on every instance, as /api/v4/ws/status does.
import { Elysia, t } from 'elysia'
import type { AuthDeps } from '../auth/authenticate.ts'
import { authPlugin, requireScope } from '../auth/plugin.ts'
import { ID_PATTERN } from '../auth/principal.ts'
import type { Disconnect } from '../events/disconnect.ts'
import type { InstanceDirectory } from './directory.ts'
import { FRESH_MS } from './reporter.ts'

const page = Bun.file(new URL('./page.html', import.meta.url).pathname)
const Id = t.String({ pattern: ID_PATTERN.source })

export interface AdminDeps {
  directory: InstanceDirectory
  /** Ends every socket of a user on every instance: the path an API key revocation takes. */
  onDisconnect: (target: Disconnect) => void
}

/** The page: public (it holds no data); everything it shows comes from the admin routes below. */
export function adminPageController() {
  return new Elysia({ tags: ['admin'] }).get(
    '/admin',
    () => new Response(page, { headers: { 'content-type': 'text/html; charset=utf-8' } }),
    { detail: { summary: 'The admin view (asks for an admin credential)' } },
  )
}

export function adminController(deps: AdminDeps, auth: AuthDeps) {
  return new Elysia({ prefix: '/admin', tags: ['admin'] })
    .use(authPlugin(auth))
    .onBeforeHandle(({ principal }) => requireScope(principal, 'admin'))
    .get('/instances', async () => ({ data: await deps.directory.list(FRESH_MS) }), {
      detail: {
        summary:
          'Every live instance: sockets and subscriptions per tenant, users online, delivery rate and latency, recent closes and refusals, bus and database state',
      },
    })
    .post(
      '/disconnect',
      ({ body, set }) => {
        const reason = body.reason ?? 'disconnected by an administrator'
        deps.onDisconnect({ tenantId: body.tenantId, userId: body.userId, reason })
        set.status = 202
        return { tenantId: body.tenantId, userId: body.userId, reason }
      },
      {
        body: t.Object(
          {
            tenantId: Id,
            userId: Id,
            // Sent as the close reason: a close frame holds at most 123 bytes.
            reason: t.Optional(t.String({ pattern: '^[ -~]{1,100}$' })),
          },
          { additionalProperties: false },
        ),
        detail: {
          summary:
            "End every socket of a user, on every instance (close 4403, as for a revoked key); the user's credential stays valid",
        },
      },
    )
}
