// The credentials of open sockets: each socket ends when its JWT expires, or when its credential is
// withdrawn — at once when a `disconnect` envelope arrives on the bus, and, because the bus is
// at-most-once, on the next periodic check of the API keys in use.
import type { DisconnectEnvelope } from '../bus/bus.ts'
import { CloseCode } from '../protocol/codes.ts'
import type { Logger } from '../telemetry/logger.ts'
import type { Socket } from './connection.ts'
import type { Registry } from './registry.ts'
import { createTokenExpiry } from './token-expiry.ts'

export interface CredentialWatchOptions {
  registry: Registry
  log: Logger
  /** Which of these API key ids are revoked now (reads the database). */
  revokedKeys(ids: readonly string[]): Promise<string[]>
  /** How often the keys of open sockets are checked (the backstop for a lost bus message). */
  intervalMs: number
  closeWith(ws: Socket, code: number, reason: string): void
}

export function createCredentialWatch(opts: CredentialWatchOptions) {
  const byKey = new Map<string, Set<Socket>>()
  const end = (ws: Socket, reason: string) =>
    opts.closeWith(ws, CloseCode.credentialRevoked, reason)
  const expiry = createTokenExpiry({
    sockets: opts.registry.sockets,
    end: (ws) => opts.closeWith(ws, CloseCode.tokenExpired, 'token expired'),
  })

  function endKey(keyId: string, reason: string): void {
    const sockets = byKey.get(keyId)
    if (!sockets) return
    for (const ws of sockets) end(ws, reason)
  }

  let isChecking = false
  async function check(): Promise<void> {
    if (isChecking || byKey.size === 0) return
    isChecking = true
    try {
      for (const id of await opts.revokedKeys([...byKey.keys()])) endKey(id, 'api key revoked')
    } catch (err) {
      opts.log.warn('API key revocation check failed; retrying', { err })
    } finally {
      isChecking = false
    }
  }
  const timer = setInterval(() => void check(), opts.intervalMs)
  timer.unref?.()

  return {
    /** A socket opened: watched until it closes (ended at once if its token has expired). */
    track(ws: Socket): void {
      expiry.track(ws)
      const { keyId } = ws.data.principal
      if (keyId === undefined) return
      const set = byKey.get(keyId) ?? new Set<Socket>()
      set.add(ws)
      byKey.set(keyId, set)
    },
    forget(ws: Socket): void {
      expiry.forget(ws)
      const { keyId } = ws.data.principal
      if (keyId === undefined) return
      const set = byKey.get(keyId)
      set?.delete(ws)
      if (set?.size === 0) byKey.delete(keyId)
    },
    /** Applies a `disconnect` envelope to this instance's sockets of its tenant. */
    apply(envelope: DisconnectEnvelope): void {
      const target = envelope.disconnect
      if ('keyId' in target) return endKey(target.keyId, target.reason)
      for (const ws of opts.registry.sockets) {
        const p = ws.data.principal
        if (p.tenantId === envelope.tenant && p.userId === target.userId) end(ws, target.reason)
      }
    },
    /** Runs the periodic check now (tests). */
    check,
    stop(): void {
      clearInterval(timer)
      expiry.stop()
    },
  }
}
