// Ends each socket when its JWT expires. One timer for the whole instance and nothing stored per
// socket: the instance counts its sockets per token `exp` second, the timer waits for the earliest
// second that has any, and when it fires the sockets whose token has expired are found and ended.
import type { Socket } from './connection.ts'

/** setTimeout holds at most ~24.8 days; a later first expiry is waited for in steps. */
const MAX_DELAY_MS = 2 ** 31 - 1

export interface TokenExpiryOptions {
  /** Every open socket (searched when an expiry is due). */
  sockets: ReadonlySet<Socket>
  end(ws: Socket): void
}

export function createTokenExpiry(opts: TokenExpiryOptions) {
  /** exp (seconds since the epoch) → how many tracked sockets have a token expiring then. */
  const counts = new Map<number, number>()
  let timer: ReturnType<typeof setTimeout> | undefined
  let armedFor = Number.POSITIVE_INFINITY

  function arm(): void {
    let earliest = Number.POSITIVE_INFINITY
    for (const exp of counts.keys()) if (exp < earliest) earliest = exp
    if (earliest === armedFor) return
    if (timer) clearTimeout(timer)
    timer = undefined
    armedFor = earliest
    if (earliest === Number.POSITIVE_INFINITY) return
    timer = setTimeout(fire, Math.min(Math.max(0, earliest * 1000 - Date.now()), MAX_DELAY_MS))
    timer.unref?.()
  }

  function fire(): void {
    timer = undefined
    armedFor = Number.POSITIVE_INFINITY
    const now = Date.now()
    let isDue = false
    for (const exp of counts.keys()) if (exp * 1000 <= now) isDue = true
    if (isDue) {
      for (const ws of opts.sockets) {
        const exp = ws.data.principal.expiresAt
        if (exp === undefined || exp * 1000 > now || !ws.data.hasExpiryTracked) continue
        forget(ws)
        if (!ws.data.isClosing) opts.end(ws)
      }
      // Every due socket has been found: what is left of a due second belongs to none.
      for (const exp of counts.keys()) if (exp * 1000 <= now) counts.delete(exp)
    }
    arm()
  }

  function forget(ws: Socket): void {
    const exp = ws.data.principal.expiresAt
    const n = exp === undefined ? undefined : counts.get(exp)
    if (exp === undefined || n === undefined || !ws.data.hasExpiryTracked) return
    ws.data.hasExpiryTracked = false
    if (n > 1) return void counts.set(exp, n - 1)
    counts.delete(exp)
    if (exp === armedFor) arm()
  }

  return {
    /** Watches a socket whose principal carries an `exp`; ends it at once if that has passed. */
    track(ws: Socket): void {
      const exp = ws.data.principal.expiresAt
      if (exp === undefined) return
      if (exp * 1000 <= Date.now()) return opts.end(ws)
      ws.data.hasExpiryTracked = true
      counts.set(exp, (counts.get(exp) ?? 0) + 1)
      if (exp < armedFor) arm()
    },
    /** The socket closed (for any reason): it no longer counts. */
    forget,
    stop(): void {
      if (timer) clearTimeout(timer)
      timer = undefined
      counts.clear()
    },
  }
}
