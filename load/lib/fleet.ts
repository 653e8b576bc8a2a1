// The listening side of a scenario: many sockets, each one user of one tenant, counting what arrives.
// Writes carry a marker `load:<tenant>:<n>:<sent ms>` in their content, so a socket knows, without
// any shared state, which write a frame belongs to, whether it saw it before, whether it was its
// tenant's, and how long it took since the request started (and since the commit, from `timestamp`).
import type { Protocol, Target } from './targets.ts'

export const tenantId = (t: number) => `load-t${t}`
export const marker = (t: number, n: number, sentMs: number) =>
  `load:${t}:${n}:${sentMs.toFixed(2)}`
/** Wall clock in ms with sub-ms precision (comparable with the server's clock on the same host). */
export const wallMs = () => performance.timeOrigin + performance.now()

interface Listener {
  index: number
  tenant: number
  ws: WebSocket | undefined
  /** Bit n set: write n of this tenant arrived. */
  got: Uint8Array
  lastSeq: number
  isSubscribed: boolean
  /** Wall ms of the latest completed (re)subscription. */
  subscribedAt: number
  reconnects: number
  onSubscribed: (() => void) | undefined
}

export interface FleetOptions {
  target: Target
  connections: number
  tenants: number
  /** Sockets opening at once. */
  concurrency: number
  /** Reconnect after any close and resume from the last seq (PUO Memo protocol). */
  shouldResume?: boolean
}

export interface Window {
  deliveries: number
  fromRequestMs: number[]
  fromCommitMs: number[]
}

export function createFleet(opts: FleetOptions) {
  const { target } = opts
  const protocol: Protocol = target.protocol
  const listeners: Listener[] = []
  let window: Window = { deliveries: 0, fromRequestMs: [], fromCommitMs: [] }
  const counts = { duplicates: 0, leaked: 0, errors: 0 }
  let isClosing = false

  /** Sends unless the socket is no longer open (a frame may arrive while it closes). */
  function send(l: Listener, frame: string): void {
    if (l.ws?.readyState === WebSocket.OPEN) l.ws.send(frame)
  }

  function onFrame(l: Listener, s: string): void {
    const i = s.indexOf('"content":"load:')
    if (i >= 0) return onEvent(l, s, i + 16)
    if (protocol === 'socketio') return onEngineIo(l, s)
    if (s.includes('"type":"connected"')) {
      const since = opts.shouldResume && l.lastSeq > 0 ? `,"since":${l.lastSeq}` : ''
      send(
        l,
        protocol === 'puo'
          ? `{"id":"s","type":"subscribe","data":{"channel":"memories"${since}}}`
          : '{"type":"subscribe"}',
      )
    } else if (s.includes('"type":"subscribed"')) {
      subscribed(l)
    } else if (s.includes('"type":"error"')) {
      counts.errors++
    }
  }

  function onEngineIo(l: Listener, s: string): void {
    if (s === '2') send(l, '3')
    else if (s.startsWith('0{')) send(l, '40')
    else if (s.startsWith('40')) send(l, '42["subscribe"]')
    else if (s.startsWith('42["subscribed"')) subscribed(l)
  }

  function subscribed(l: Listener): void {
    l.isSubscribed = true
    l.subscribedAt = wallMs()
    l.onSubscribed?.()
    l.onSubscribed = undefined
  }

  function onEvent(l: Listener, s: string, start: number): void {
    const now = wallMs()
    const end = s.indexOf('"', start)
    const [t, n, sent] = s.slice(start, end).split(':') as [string, string, string]
    if (Number(t) !== l.tenant) {
      counts.leaked++
      return
    }
    const k = Number(n)
    if (k >= l.got.length * 8) {
      const grown = new Uint8Array(Math.max(l.got.length * 2, (k >> 3) + 1))
      grown.set(l.got)
      l.got = grown
    }
    const bit = 1 << (k & 7)
    if ((l.got[k >> 3] as number) & bit) {
      counts.duplicates++
      return
    }
    l.got[k >> 3] = (l.got[k >> 3] as number) | bit
    if (protocol === 'puo') {
      const q = s.indexOf('"seq":')
      if (q >= 0) l.lastSeq = Math.max(l.lastSeq, Number.parseInt(s.slice(q + 6, q + 20), 10))
    }
    window.deliveries++
    window.fromRequestMs.push(now - Number(sent))
    const ti = s.indexOf('"timestamp":"')
    if (ti >= 0) window.fromCommitMs.push(now - Date.parse(s.slice(ti + 13, ti + 37)))
  }

  function connect(l: Listener): Promise<void> {
    return new Promise((resolve, reject) => {
      void target.socketUrl(tenantId(l.tenant), `u${l.index}`).then((url) => {
        const ws = new WebSocket(url)
        l.ws = ws
        l.isSubscribed = false
        l.onSubscribed = resolve
        ws.onmessage = (e) => onFrame(l, e.data as string)
        ws.onerror = () => {
          if (!l.isSubscribed) reject(new Error(`socket ${l.index} failed to open`))
        }
        ws.onclose = (e) => {
          if (l.ws !== ws) return
          // Never subscribed: the attempt failed, and whoever made it decides what next.
          if (!l.isSubscribed) {
            reject(new Error(`socket ${l.index} closed (${e.code}) before subscribing`))
            return
          }
          l.isSubscribed = false
          if (isClosing || !opts.shouldResume) return
          setTimeout(() => reopen(l), retryDelay(e.reason))
        }
      })
    })
  }

  /**
   * Reconnects until subscribed again (the server may still be starting): one chain of attempts per
   * socket, with a jittered backoff that doubles up to 5 s, like a production client.
   */
  function reopen(l: Listener, failures = 0): void {
    if (isClosing) return
    l.reconnects++
    connect(l).catch(() => {
      const ceiling = Math.min(5000, 250 * 2 ** failures)
      setTimeout(() => reopen(l, failures + 1), ceiling / 2 + Math.random() * (ceiling / 2))
    })
  }

  return {
    listeners,
    counts,
    /** Opens every socket (at most `concurrency` at once); resolves when all are subscribed. */
    async open(): Promise<{ connectMs: number; errors: number }> {
      const t0 = performance.now()
      let errors = 0
      let next = 0
      const worker = async () => {
        while (next < opts.connections) {
          const index = next++
          const l: Listener = {
            index,
            tenant: index % opts.tenants,
            ws: undefined,
            got: new Uint8Array(16),
            lastSeq: 0,
            isSubscribed: false,
            subscribedAt: 0,
            reconnects: 0,
            onSubscribed: undefined,
          }
          listeners.push(l)
          await connect(l).catch(() => {
            errors++
          })
        }
      }
      await Promise.all(Array.from({ length: opts.concurrency }, worker))
      return { connectMs: performance.now() - t0, errors }
    },
    /** Returns the deliveries and latencies since the last call, and starts a new window. */
    takeWindow(): Window {
      const w = window
      window = { deliveries: 0, fromRequestMs: [], fromCommitMs: [] }
      return w
    },
    /** Writes that returned success but did not reach a socket of their tenant. */
    lost(succeeded: Uint8Array[]): number {
      let lost = 0
      for (const l of listeners) {
        const expected = succeeded[l.tenant] as Uint8Array
        for (let b = 0; b < expected.length; b++) {
          const missing = (expected[b] as number) & ~(l.got[b] ?? 0)
          if (missing) for (let m = missing; m; m &= m - 1) lost++
        }
      }
      return lost
    },
    subscribedCount: () => listeners.filter((l) => l.isSubscribed).length,
    subscribedTimes: () => listeners.map((l) => l.subscribedAt),
    close(): void {
      isClosing = true
      for (const l of listeners) l.ws?.close()
    },
  }
}

export type Fleet = ReturnType<typeof createFleet>

/** PUO Memo's 1012 close carries {"retryAfterMs":…}: come back then, spread like the server asked. */
function retryDelay(reason: string): number {
  try {
    const hint = Number((JSON.parse(reason) as { retryAfterMs?: number }).retryAfterMs)
    if (Number.isFinite(hint) && hint >= 0) return hint
  } catch {}
  return 100 + Math.random() * 900
}

/** Opens the scenario's sockets and waits a second for the server to settle; resets the window. */
export async function openFleet(
  p: { connections: number; tenants: number; connectConcurrency: number },
  target: Target,
  shouldResume = false,
) {
  const fleet = createFleet({
    target,
    connections: p.connections,
    tenants: p.tenants,
    concurrency: p.connectConcurrency,
    shouldResume,
  })
  const opened = await fleet.open()
  await Bun.sleep(1000)
  fleet.takeWindow()
  return { fleet, opened }
}
