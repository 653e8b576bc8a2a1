// Ends each socket when its JWT expires. One timer for the whole instance, not one per socket: sockets
// are grouped by their token's `exp` second, and the timer waits for the earliest group.
import type { Socket } from './connection.ts'

/** setTimeout holds at most ~24.8 days; a later first expiry is waited for in steps. */
const MAX_DELAY_MS = 2 ** 31 - 1

export function createTokenExpiry(end: (ws: Socket) => void) {
  /** exp (seconds since the epoch) → the sockets whose token expires then. */
  const groups = new Map<number, Set<Socket>>()
  let timer: ReturnType<typeof setTimeout> | undefined
  let armedFor = Number.POSITIVE_INFINITY

  function arm(): void {
    let earliest = Number.POSITIVE_INFINITY
    for (const exp of groups.keys()) if (exp < earliest) earliest = exp
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
    for (const [exp, sockets] of groups) {
      if (exp * 1000 > now) continue
      groups.delete(exp)
      for (const ws of sockets) end(ws)
    }
    arm()
  }

  return {
    /** Watches a socket whose principal carries an `exp`; ends it at once if that has passed. */
    track(ws: Socket): void {
      const exp = ws.data.principal.expiresAt
      if (exp === undefined) return
      if (exp * 1000 <= Date.now()) return end(ws)
      const group = groups.get(exp)
      if (group) return void group.add(ws)
      groups.set(exp, new Set([ws]))
      if (exp < armedFor) arm()
    },
    forget(ws: Socket): void {
      const exp = ws.data.principal.expiresAt
      if (exp === undefined) return
      const group = groups.get(exp)
      if (!group?.delete(ws) || group.size > 0) return
      groups.delete(exp)
      if (exp === armedFor) arm()
    },
    stop(): void {
      if (timer) clearTimeout(timer)
      timer = undefined
      groups.clear()
    },
  }
}
