// The WebSocket door: credentials, Origin, connection caps; only then does Bun upgrade the request.
import type { Server } from 'bun'
import { type AuthDeps, authenticate, fromToken } from '../auth/authenticate.ts'
import { hasScope, type Principal } from '../auth/principal.ts'
import { DomainError } from '../errors.ts'
import { jsonError } from '../http/error-handler.ts'
import { httpFailure } from '../http/errors.ts'
import { CloseCode } from '../protocol/codes.ts'
import type { ConnectionData } from './connection.ts'
import { newBucket } from './rate-limit.ts'
import { type SocketData, wantsCloseRefusal } from './refusal.ts'
import type { Registry } from './registry.ts'

/** Who may open a socket here, and how many. */
export interface UpgradeLimits {
  /** Empty: any Origin. */
  allowedOrigins: readonly string[]
  maxConnections: number
  maxPerTenant: number
  maxPerUser: number
  /** A new socket's message bucket starts full. */
  burst: number
}

export interface UpgradeOptions extends UpgradeLimits {
  auth: AuthDeps
  registry: Registry
  isShuttingDown: () => boolean
  /** Told which cap refused a connection (for metrics). */
  onReject?: (limit: 'connections' | 'tenant_connections' | 'user_connections') => void
  /** Told of every refusal: the HTTP status (4401 when refused with a close frame), code and message. */
  onRefuse?: (status: number, code: string, message: string) => void
}

/** Returns a refusal Response, or undefined once the request has been upgraded. */
export async function upgradeWebSocket(
  req: Request,
  server: Server<SocketData>,
  opts: UpgradeOptions,
): Promise<Response | undefined> {
  const refuse = (
    status: number,
    code: string,
    message: string,
    headers?: Record<string, string>,
  ): Response => {
    opts.onRefuse?.(status, code, message)
    return jsonError(status, code, message, undefined, headers)
  }
  if (req.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
    return refuse(426, 'upgrade_required', 'This endpoint speaks WebSocket only', {
      upgrade: 'websocket',
    })
  }
  const unavailable = (code: string, message: string) =>
    refuse(503, code, message, { 'retry-after': String(1 + Math.floor(Math.random() * 5)) })
  const limited = (message: string) =>
    refuse(429, 'too_many_connections', message, { 'retry-after': '10' })
  if (opts.isShuttingDown())
    return unavailable('shutting_down', 'This instance is shutting down; connect again')
  const origin = req.headers.get('origin')
  if (origin && opts.allowedOrigins.length > 0 && !opts.allowedOrigins.includes(origin)) {
    return refuse(
      403,
      'origin_not_allowed',
      `Origin ${origin.slice(0, 100)} may not open WebSockets here`,
    )
  }
  let principal: Principal
  const url = new URL(req.url)
  try {
    const token = url.searchParams.get('token')
    principal = token
      ? await fromToken(opts.auth, token)
      : await authenticate(opts.auth, {
          authorization: req.headers.get('authorization'),
          apiKey: req.headers.get('x-api-key'),
        })
  } catch (err) {
    if (!(err instanceof DomainError)) throw err
    const { status, code } = httpFailure(err)
    if (err.kind === 'unauthenticated' && wantsCloseRefusal(url)) {
      const refusal = { code: CloseCode.authFailed, reason: err.message.slice(0, 120) }
      if (server.upgrade(req, { data: { refusal } })) {
        opts.onRefuse?.(CloseCode.authFailed, code, err.message)
        return undefined
      }
    }
    return refuse(status, code, err.message)
  }
  if (!hasScope(principal, 'read'))
    return refuse(403, 'forbidden', 'This credential lacks the "read" scope')
  const { registry } = opts
  if (registry.size >= opts.maxConnections) {
    opts.onReject?.('connections')
    return unavailable('too_many_connections', 'This instance is full')
  }
  if (registry.tenantConnections(principal.tenantId) >= opts.maxPerTenant) {
    opts.onReject?.('tenant_connections')
    return limited('Too many WebSocket connections for this tenant')
  }
  if (registry.userConnections(principal.tenantId, principal.userId) >= opts.maxPerUser) {
    opts.onReject?.('user_connections')
    return limited('Too many WebSocket connections for this user')
  }
  const data: ConnectionData = {
    id: crypto.randomUUID(),
    principal,
    channels: 0,
    openedAt: performance.now(),
    lastSeen: performance.now(),
    ...newBucket(opts.burst),
    violations: 0,
    isClosing: false,
    sentCloseCode: 0,
    sentCloseReason: '',
    hasExpiryTracked: false,
    isWatching: false,
  }
  if (server.upgrade(req, { data })) return undefined
  return refuse(400, 'upgrade_failed', 'The WebSocket handshake was invalid')
}
