// Connection upkeep on a timer: closing sockets cleanly, slow consumers, heartbeats. Never per event.
import { CloseCode } from '../protocol/codes.ts'
import type { Logger } from '../telemetry/logger.ts'
import type { Socket } from './connection.ts'
import type { Registry } from './registry.ts'

export interface UpkeepOptions {
  registry: Registry
  log: Logger
  /** Bytes queued for one socket before it is closed with 1013. */
  backpressureLimit: number
  pingIntervalMs: number
  timeoutMs: number
  /** Upper bound of the random reconnect delay announced with 1012 and 1013. */
  reconnectSpreadMs: number
  /** Told when a slow consumer is let go (its backlog passed the limit). */
  onBackpressure(): void
}

/** How often slow consumers are checked while a backlog could be near the limit (a read per socket). */
const SWEEP_MS = 1000
/** Ticks per sweep: each tick checks 1/SLICES of the sockets. */
const SLICES = 10
/**
 * A ping is a write to the socket, some ten times a backlog read (a slice of 1,000 sockets took 8 – 31
 * ms under load): a ping round's ticks come this many times as often with as many times fewer
 * sockets each, so it lasts as long as any round and no tick of it holds the event loop as long.
 */
const PING_SPLIT = 4
/** What a client reports when the connection ends without a close frame. */
const DROPPED = 1006
/** A socket told to close whose backlog has not drained after this long is cut (it stopped reading). */
const CLOSE_GRACE_MS = 10_000

export function createUpkeep(opts: UpkeepOptions) {
  const { registry, log } = opts
  let lastPing = performance.now()
  /** Sockets told to close, waiting for their queued frames to drain. */
  const closing = new Map<Socket, { since: number; code: number; reason: string }>()

  /**
   * Stops all fan-out to the socket, then closes it once what is already queued has been written:
   * closing a socket with a backlog would discard the backlog and the close frame with it.
   */
  function closeWith(ws: Socket, code: number, reason: string): void {
    if (ws.data.isClosing) return
    ws.data.isClosing = true
    for (const topic of ws.subscriptions) ws.unsubscribe(topic)
    log.info('closing connection', {
      connectionId: ws.data.id,
      code,
      reason,
      buffered: ws.getBufferedAmount(),
    })
    closing.set(ws, { since: performance.now(), code, reason })
    closeIfDrained(ws)
  }

  function closeIfDrained(ws: Socket): void {
    const pending = closing.get(ws)
    if (pending && ws.getBufferedAmount() === 0) {
      closing.delete(ws)
      ws.data.sentCloseCode = pending.code
      ws.data.sentCloseReason = pending.reason
      ws.close(pending.code, pending.reason)
    }
  }

  /** A JSON close reason telling the client to come back after a random delay, so clients spread out. */
  const retryHint = () =>
    JSON.stringify({ retryAfterMs: 500 + Math.floor(Math.random() * opts.reconnectSpreadMs) })

  // A round checks every socket, a slice per tick, so no tick stalls the event loop for long (a sweep
  // over 10,000 sockets at once showed in the p99). A backlog grows by at most the bytes sent since it
  // was read, so a round starts every SWEEP_MS only while the frames sent since the last round began,
  // added to the largest backlog it found, could have brought some socket near the limit; otherwise
  // only when a ping or a heartbeat check is due. Upkeep costs what the traffic could need, not a
  // read of every socket each second whenever anything is sent.
  let cursor: Iterator<Socket> | undefined
  let roundStartedAt = Number.NEGATIVE_INFINITY
  /** registry.frameBytes when the last round began. */
  let bytesAtRound = 0
  /** The largest backlog the last finished round read, and the one under way so far. */
  let largestBacklog = 0
  let roundLargest = 0
  /** A round's last slice was read since the last tick was scheduled. */
  let hasRoundEnded = false
  const idleRoundMs = Math.max(SWEEP_MS, Math.min(opts.pingIntervalMs, opts.timeoutMs / 2))
  function sweep(): void {
    const now = performance.now()
    for (const [ws, pending] of closing) {
      if (now - pending.since <= CLOSE_GRACE_MS) continue
      // The close frame never left: the client sees the connection drop (1006).
      closing.delete(ws)
      ws.data.sentCloseCode = DROPPED
      ws.data.sentCloseReason = `cut: ${pending.reason}`.slice(0, 120)
      ws.terminate()
    }
    if (cursor === undefined) {
      const sent = registry.frameBytes
      const couldNearLimit = sent - bytesAtRound + largestBacklog >= opts.backpressureLimit / 2
      const wait = couldNearLimit ? SWEEP_MS : idleRoundMs
      if (now - roundStartedAt < wait && now - lastPing < opts.pingIntervalMs) return
      roundStartedAt = now
      bytesAtRound = sent
      roundLargest = 0
      const isPingDue = now - lastPing >= opts.pingIntervalMs
      if (isPingDue) lastPing = now
      pingRound = isPingDue
      cursor = registry.sockets[Symbol.iterator]()
    }
    const slice = Math.ceil(registry.size / roundSlices()) + 1
    for (let i = 0; i < slice; i++) {
      const next = cursor.next()
      if (next.done) {
        cursor = undefined
        largestBacklog = roundLargest
        hasRoundEnded = true
        return
      }
      check(next.value, now)
    }
  }
  let pingRound = false
  /** Ticks the round under way takes: a ping round PING_SPLIT times as many, over the same period. */
  function roundSlices(): number {
    return pingRound ? SLICES * PING_SPLIT : SLICES
  }
  function check(ws: Socket, now: number): void {
    if (ws.data.isClosing) return closeIfDrained(ws)
    const backlog = ws.getBufferedAmount()
    if (backlog > roundLargest) roundLargest = backlog
    if (backlog > opts.backpressureLimit) {
      opts.onBackpressure()
      closeWith(ws, CloseCode.tryAgainLater, retryHint())
    } else if (now - ws.data.lastSeen > opts.timeoutMs) {
      closeWith(ws, CloseCode.heartbeatTimeout, 'heartbeat timeout')
    } else if (pingRound) ws.ping()
  }
  // A tick per slice while a round or a close is under way. Between rounds: a tick when the next
  // round may start (a round period after the last began; a timer that fires a hair early is
  // retried a slice later), or a slice after a round that ended later than that; then one a round
  // period until a round starts. An idle server wakes for upkeep once a round period, not a slice.
  const sliceMs = Math.max(10, Math.floor(Math.min(SWEEP_MS, opts.pingIntervalMs) / SLICES))
  const roundMs = sliceMs * SLICES
  function nextTickMs(): number {
    if (cursor !== undefined) return roundMs / roundSlices()
    if (closing.size > 0) return sliceMs
    const justEnded = hasRoundEnded
    hasRoundEnded = false
    const untilRoundMayStart = roundStartedAt + roundMs - performance.now()
    if (untilRoundMayStart > 0) return Math.max(sliceMs, untilRoundMayStart)
    return justEnded ? sliceMs : roundMs
  }
  let isStopped = false
  let sweeper = setTimeout(tick, sliceMs)
  sweeper.unref?.()
  function tick(): void {
    sweep()
    if (isStopped) return
    sweeper = setTimeout(tick, nextTickMs())
    sweeper.unref?.()
  }

  return {
    closeWith,
    /** Bun's `drain` handler: a socket waiting to close may now have an empty queue. */
    closeIfDrained,
    retryHint,
    /** The socket closed: nothing more to wait for. */
    forget(ws: Socket): void {
      closing.delete(ws)
    },
    stop(): void {
      isStopped = true
      clearTimeout(sweeper)
    },
  }
}
