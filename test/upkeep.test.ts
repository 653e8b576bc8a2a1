// Connection upkeep's rounds: a socket's backlog is read only while the frames sent could have
// brought some backlog near the limit, a socket past the limit is still closed with 1013, and a ping
// round reaches every socket once. Real timers (a round is ten ticks of 100 ms, a ping round forty
// of 25 ms); sockets are stand-ins that count their reads and pings.
import { afterEach, describe, expect, test } from 'bun:test'
import type { Socket } from '../src/hub/connection.ts'
import { createRegistry } from '../src/hub/registry.ts'
import { createUpkeep } from '../src/hub/upkeep.ts'
import { CloseCode } from '../src/protocol/codes.ts'
import { createLogger } from '../src/telemetry/logger.ts'

const LIMIT = 1_048_576
const TENANT = 'acme'

function standIn(userId: string) {
  const seen = {
    reads: 0,
    pings: 0,
    backlog: 0,
    closed: undefined as { code: number } | undefined,
  }
  const ws = {
    data: {
      id: crypto.randomUUID(),
      principal: { tenantId: TENANT, userId },
      channels: 0,
      openedAt: performance.now(),
      lastSeen: performance.now(),
      isClosing: false,
      sentCloseCode: 0,
      sentCloseReason: '',
    },
    subscriptions: [] as string[],
    getBufferedAmount() {
      seen.reads++
      return seen.backlog
    },
    ping() {
      seen.pings++
    },
    unsubscribe() {},
    close(code: number) {
      seen.closed = { code }
    },
    terminate() {},
  }
  return { ws: ws as unknown as Socket, seen }
}

let stop: (() => void) | undefined
afterEach(() => stop?.())

function setup(sockets: number, pingIntervalMs = 30_000) {
  const registry = createRegistry()
  const standIns = Array.from({ length: sockets }, (_, i) => standIn(`u${i}`))
  for (const s of standIns) registry.add(s.ws)
  let backpressure = 0
  const upkeep = createUpkeep({
    registry,
    log: createLogger('silent'),
    backpressureLimit: LIMIT,
    pingIntervalMs,
    timeoutMs: 300_000,
    reconnectSpreadMs: 1000,
    onBackpressure: () => backpressure++,
  })
  stop = upkeep.stop
  const reads = () => standIns.reduce((sum, s) => sum + s.seen.reads, 0)
  /** Frames of `bytes` each, to every socket, every 20 ms, for `ms` or until `isDone`. */
  async function send(bytes: number, ms: number, isDone = () => false): Promise<void> {
    const end = performance.now() + ms
    while (performance.now() < end && !isDone()) {
      registry.countSent(TENANT, sockets, bytes)
      await Bun.sleep(20)
    }
  }
  /** The first round, which reads every socket once (ten ticks of 100 ms). */
  async function firstRound(): Promise<void> {
    for (let i = 0; i < 100 && reads() < sockets; i++) await Bun.sleep(50)
    expect(reads()).toBe(sockets)
  }
  return { standIns, upkeep, reads, send, firstRound, backpressure: () => backpressure }
}

describe('upkeep', () => {
  test('frames that cannot bring any backlog near the limit start no round of reads', async () => {
    const { reads, send, firstRound } = setup(50)
    await firstRound()
    // 1.5 s of 1 KB frames to every socket (75 KB each, under half the limit): no round.
    await send(1000, 1500)
    expect(reads()).toBe(50)
  })

  test('once enough was sent, rounds resume and a socket past the limit is closed with 1013', async () => {
    const { standIns, upkeep, reads, send, firstRound, backpressure } = setup(50)
    await firstRound()
    const slow = standIns[7] as (typeof standIns)[number]
    slow.seen.backlog = LIMIT + 1
    // 32 KB frames every 20 ms: past half the limit within half a second.
    await send(32_768, 10_000, () => slow.ws.data.isClosing)
    expect(reads()).toBeGreaterThan(50)
    expect(backpressure()).toBe(1)
    expect(slow.ws.data.isClosing).toBe(true)
    // Closed once what was queued for it has been written (Bun's drain handler calls this).
    expect(slow.seen.closed).toBeUndefined()
    slow.seen.backlog = 0
    upkeep.closeIfDrained(slow.ws)
    expect(slow.seen.closed).toEqual({ code: CloseCode.tryAgainLater })
    expect(standIns.filter((s) => s.ws.data.isClosing)).toHaveLength(1)
  })

  test('a ping round pings every socket once', async () => {
    // A ping every 2 s: the first ping round starts about 2 s in and lasts a second; the next
    // cannot start before 4 s.
    const { standIns } = setup(1000, 2000)
    const pinged = () => standIns.filter((s) => s.seen.pings > 0).length
    for (let i = 0; i < 200 && pinged() < standIns.length; i++) await Bun.sleep(20)
    expect(pinged()).toBe(standIns.length)
    expect(standIns.filter((s) => s.seen.pings !== 1)).toHaveLength(0)
    expect(standIns.some((s) => s.ws.data.isClosing)).toBe(false)
  })
})
