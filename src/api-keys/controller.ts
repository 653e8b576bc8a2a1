// HTTP routes of /api/v4/api-keys: key management for principals with the admin scope, within their tenant.
import { Elysia, t } from 'elysia'
import type { AuthDeps } from '../auth/authenticate.ts'
import { authPlugin, requireScope } from '../auth/plugin.ts'
import { ID_PATTERN, SCOPES } from '../auth/principal.ts'
import type { Db } from '../db/database.ts'
import { notFound } from '../errors.ts'
import type { Disconnect } from '../events/disconnect.ts'
import { createApiKey, listKeys, revokeKey } from './service.ts'

const Scope = t.Union(SCOPES.map((s) => t.Literal(s)))

/** `onRevoked` learns of each key revoked here, so the sockets opened with it end (on every instance). */
export function apiKeysController(db: Db, auth: AuthDeps, onRevoked: (target: Disconnect) => void) {
  return new Elysia({ prefix: '/api-keys', tags: ['api-keys'] })
    .use(authPlugin(auth))
    .onBeforeHandle(({ principal }) => requireScope(principal, 'admin'))
    .post(
      '',
      async ({ principal, body, set }) => {
        const created = await createApiKey(db, {
          tenantId: principal.tenantId,
          userId: body.userId ?? principal.userId,
          name: body.name,
          scopes: body.scopes ?? ['read', 'write'],
        })
        set.status = 201
        return created
      },
      {
        body: t.Object(
          {
            name: t.String({ minLength: 1, maxLength: 100 }),
            userId: t.Optional(t.String({ pattern: ID_PATTERN.source })),
            scopes: t.Optional(t.Array(Scope, { minItems: 1, uniqueItems: true })),
          },
          { additionalProperties: false },
        ),
        detail: { summary: 'Create an API key; the key is shown in this response only' },
      },
    )
    .get('', async ({ principal }) => ({ data: await listKeys(db, principal.tenantId) }), {
      detail: { summary: "List the tenant's API keys (prefixes only)" },
    })
    .delete(
      '/:id',
      async ({ principal, params }) => {
        const revoked = await revokeKey(db, principal.tenantId, params.id)
        if (!revoked) throw notFound('API key')
        onRevoked({ tenantId: revoked.tenantId, keyId: revoked.id, reason: 'api key revoked' })
        return revoked
      },
      {
        params: t.Object({ id: t.String({ maxLength: 64 }) }),
        detail: { summary: 'Revoke an API key by id or prefix' },
      },
    )
}
