// Elysia plugin that authenticates every request of the routes it is used in and exposes `principal`.
import { Elysia } from 'elysia'
import { forbidden } from '../errors.ts'
import { type AuthDeps, authenticate } from './authenticate.ts'
import { hasScope, type Principal, type Scope } from './principal.ts'

export function authPlugin(deps: AuthDeps) {
  return new Elysia().resolve({ as: 'scoped' }, async ({ headers }) => ({
    principal: await authenticate(deps, {
      authorization: headers.authorization ?? null,
      apiKey: headers['x-api-key'] ?? null,
    }),
  }))
}

export function requireScope(p: Principal, scope: Scope): void {
  if (!hasScope(p, scope)) throw forbidden(`This credential lacks the "${scope}" scope`)
}
