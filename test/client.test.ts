// The client SDK: backoff, offline queue, and PuoMemoWebSocket against a real server (restarts included).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { signToken } from '../src/auth/jwt.ts'
import { backoffDelay } from '../src/client/backoff.ts'
import { OfflineQueue } from '../src/client/offline-queue.ts'
import { PuoMemoWebSocket, type WebSocketLike } from '../src/client/puo-memo-websocket.ts'
import type { Database } from '../src/db/database.ts'
import { pruneEvents } from '../src/events/retention.ts'
import type { Instance } from '../src/server.ts'
import { TEST_SECRET } from './support/app.ts'
import { pgliteBackend } from './support/db.ts'
import { startTestInstance, writeAcrossDropAndRestart } from './support/realtime.ts'

const until = async (cond: () => boolean, what: string, ms = 10_000) => {
  for (const end = Date.now() + ms; !cond(); await Bun.sleep(10)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
  }
}

describe('backoff', () => {
  test('full jitter within a ceiling that grows by the factor and stops at the maximum', () => {
    const opts = { minMs: 100, maxMs: 1000, factor: 2 }
    expect([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, opts, () => 0.999999))).toEqual([
      99, 199, 399, 799, 999, 999,
    ])
    expect(backoffDelay(5, opts, () => 0)).toBe(0)
    const samples = Array.from({ length: 200 }, () => backoffDelay(3, opts))
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...samples)).toBeLessThan(800)
    expect(new Set(samples).size).toBeGreaterThan(50) // spread, not lockstep
  })
})

describe('offline queue', () => {
  test('keeps order, drops the oldest when full, and drops what expired', () => {
    let now = 0
    const q = new OfflineQueue<string>({ max: 3, ttlMs: 100 }, () => now)
    q.push('a')
    now = 50
    q.push('b')
    q.push('c')
    expect(q.push('d')).toBe('a')
    now = 140
    expect(q.drain()).toEqual(['b', 'c', 'd']) // 90 ms old: still fresh
    q.push('e')
    now = 200
    q.push('f')
    now = 260 // e is 120 ms old: expired; f is 60 ms old
    expect(q.drain()).toEqual(['f'])
    expect(q.size).toBe(0)
  })
})

/** A scripted stand-in for WebSocket, for behaviour a real server will not show on demand. */
class ScriptedSocket implements WebSocketLike {
  static made: ScriptedSocket[] = []
  static onOpen: (s: ScriptedSocket) => void = () => {}
  readyState = 0
  sent: string[] = []
  onopen: ((ev: unknown) => void) | null = null
  onmessage: ((ev: { data: unknown }) => void) | null = null
  onclose: ((ev: { code: number; reason: string }) => void) | null = null
  onerror: ((ev: unknown) => void) | null = null
  constructor(readonly url: string) {
    ScriptedSocket.made.push(this)
    setTimeout(() => {
      this.readyState = 1
      this.onopen?.({})
      ScriptedSocket.onOpen(this)
    }, 1)
  }
  deliver(frame: unknown) {
    this.onmessage?.({ data: JSON.stringify(frame) })
  }
  send(data: string) {
    this.sent.push(data)
  }
  close(code = 1000, reason = '') {
    if (this.readyState === 3) return
    this.readyState = 3
    setTimeout(() => this.onclose?.({ code, reason }), 1)
  }
}

const connectedFrame = {
  id: 'c',
  type: 'connected',
  timestamp: '',
  data: { heartbeatIntervalMs: 30000 },
}

describe('PuoMemoWebSocket with a scripted socket', () => {
  test('a silent link is detected by the watchdog and replaced', async () => {
    ScriptedSocket.made = []
    ScriptedSocket.onOpen = (s) => s.deliver(connectedFrame)
    const client = new PuoMemoWebSocket('t', {
      url: 'ws://x/api/v4/ws',
      WebSocket: ScriptedSocket,
      pingIntervalMs: 20,
      watchdogMs: 60,
      reconnect: { minMs: 1, maxMs: 5 },
    })
    await client.connect()
    await until(() => ScriptedSocket.made.length >= 2, 'a second socket')
    expect(ScriptedSocket.made[0]?.readyState).toBe(3)
    client.disconnect()
  })

  test('a terminal close (4400–4499) stops reconnecting and emits closed', async () => {
    ScriptedSocket.made = []
    ScriptedSocket.onOpen = (s) => {
      s.deliver(connectedFrame)
      s.close(4450, 'go away')
    }
    const client = new PuoMemoWebSocket('t', {
      url: 'ws://x/api/v4/ws',
      WebSocket: ScriptedSocket,
      reconnect: { minMs: 1, maxMs: 5 },
    })
    const closed: unknown[] = []
    client.on('closed', (d) => closed.push(d))
    await client.connect()
    await until(() => closed.length > 0, 'closed')
    await Bun.sleep(30)
    expect(closed).toEqual([{ code: 4450, reason: 'go away' }])
    expect(ScriptedSocket.made).toHaveLength(1)
    expect(client.state).toBe('closed')
  })

  test('1012 waits for the server’s retryAfterMs before reconnecting', async () => {
    ScriptedSocket.made = []
    let first = true
    ScriptedSocket.onOpen = (s) => {
      s.deliver(connectedFrame)
      if (first) {
        first = false
        s.close(1012, JSON.stringify({ retryAfterMs: 150 }))
      }
    }
    const client = new PuoMemoWebSocket('t', {
      url: 'ws://x/api/v4/ws',
      WebSocket: ScriptedSocket,
      reconnect: { minMs: 1, maxMs: 5 },
    })
    await client.connect()
    const closedAt = Date.now()
    await until(() => ScriptedSocket.made.length >= 2, 'reconnect')
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(140)
    client.disconnect()
  })
})

describe('PuoMemoWebSocket against a real server', () => {
  let database: Database
  let instance: Instance
  let port: number
  beforeAll(async () => {
    database = await pgliteBackend.open()
    instance = startTestInstance(database)
    port = Number(new URL(instance.url).port)
  })
  afterAll(() => instance.stop())
  const url = () => `ws://127.0.0.1:${port}/api/v4/ws`
  const create = (token: string, content: string) =>
    fetch(`http://127.0.0.1:${port}/api/v4/memories`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ content, visibility: 'team' }),
    }).then((r) => r.status)

  test('the seed’s usage: on("memory.created", data => data.memory) after connect()', async () => {
    const token = await signToken(TEST_SECRET, { tenantId: 'sdk-1', userId: 'alice' })
    const ws = new PuoMemoWebSocket(token, { url: url() })
    const seen: string[] = []
    ws.on('memory.created', (data) => seen.push(data.memory.content))
    await ws.connect()
    await until(() => ws.lastSeq !== undefined, 'subscribed')
    expect(await create(token, 'hello sdk')).toBe(201)
    await until(() => seen.length === 1, 'event')
    expect(seen).toEqual(['hello sdk'])
    ws.disconnect()
    expect(ws.state).toBe('closed')
  })

  test('socket dropped and server restarted mid-stream: every event exactly once, in order', async () => {
    const token = await signToken(TEST_SECRET, {
      tenantId: 'sdk-2',
      userId: 'reader',
      ttlSeconds: 3600,
    })
    const writer = await signToken(TEST_SECRET, {
      tenantId: 'sdk-2',
      userId: 'writer',
      ttlSeconds: 3600,
    })
    const ws = new PuoMemoWebSocket(token, { url: url(), reconnect: { minMs: 20, maxMs: 200 } })
    const got: { seq: number; content: string }[] = []
    ws.on('memory.created', (data, frame) =>
      got.push({ seq: frame.seq, content: data.memory.content }),
    )
    await ws.connect()
    await until(() => ws.lastSeq !== undefined, 'subscribed')
    const stream = await writeAcrossDropAndRestart(instance, database, writer)
    instance = stream.instance
    const written = stream.written
    await until(() => got.length >= written.length, 'all events', 15_000)
    await Bun.sleep(200)
    expect(got.map((g) => g.content)).toEqual(written)
    const seqs = got.map((g) => g.seq)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    ws.disconnect()
  }, 30_000)

  test('an expiring token is replaced through getToken() before exp, without reconnecting', async () => {
    let calls = 0
    const ws = new PuoMemoWebSocket(
      {
        getToken: () => {
          calls++
          return signToken(TEST_SECRET, {
            tenantId: 'sdk-3',
            userId: 'alice',
            ttlSeconds: calls === 1 ? 1 : 3600,
          })
        },
      },
      { url: url(), reconnect: { minMs: 10, maxMs: 50 } },
    )
    const states: string[] = []
    ws.on('state', (s) => states.push(s))
    await ws.connect()
    await until(() => calls >= 2, 'a fresh token', 5000)
    await Bun.sleep(1500) // past the first token's exp: its socket would have been closed with 4001
    expect(ws.state).toBe('open')
    expect(states).toEqual(['connecting', 'open'])
    ws.disconnect()
  })

  test('frames sent while disconnected are queued and flushed in order after reconnecting', async () => {
    const token = await signToken(TEST_SECRET, {
      tenantId: 'sdk-4',
      userId: 'alice',
      ttlSeconds: 3600,
    })
    const ws = new PuoMemoWebSocket(token, { url: url(), reconnect: { minMs: 300, maxMs: 300 } })
    const pongs: string[] = []
    ws.on('pong', (_data, frame) => pongs.push(frame.id))
    await ws.connect()
    let pongsWhenQueued = -1
    // Sent the moment the client knows it is disconnected (the reconnect delay may be short).
    const off = ws.on('state', (state) => {
      if (state !== 'reconnecting') return
      off()
      pongsWhenQueued = pongs.length
      ws.send('ping')
      ws.send('ping')
    })
    for (const s of instance.registry.sockets)
      if (s.data.principal.tenantId === 'sdk-4') s.close(1011, 'x')
    await until(() => pongsWhenQueued >= 0, 'disconnect noticed')
    expect(pongsWhenQueued).toBe(0)
    await until(() => pongs.length === 2 && ws.state === 'open', 'two pongs after reconnect')
    ws.disconnect()
  })

  test('a position the log no longer has: resync, then a fresh subscription that keeps delivering', async () => {
    const token = await signToken(TEST_SECRET, {
      tenantId: 'sdk-6',
      userId: 'alice',
      ttlSeconds: 3600,
    })
    // The reconnect waits for this gate (getToken runs before every connect), so the log can change first.
    let openGate!: () => void
    const gate = new Promise<void>((r) => {
      openGate = r
    })
    let calls = 0
    const getToken = async () => {
      if (calls++ > 0) await gate
      return token
    }
    const ws = new PuoMemoWebSocket(
      { getToken },
      { url: url(), reconnect: { minMs: 10, maxMs: 10 } },
    )
    const resyncs: unknown[] = []
    const seen: string[] = []
    ws.on('resync', (d) => resyncs.push(d))
    ws.on('memory.created', (d) => seen.push(d.memory.content))
    await ws.connect()
    await until(() => ws.lastSeq !== undefined, 'subscribed')
    await create(token, 'before')
    await until(() => seen.length === 1, 'first event')
    for (const s of instance.registry.sockets)
      if (s.data.principal.tenantId === 'sdk-6') s.close(1011, 'x')
    await until(() => calls === 2, 'reconnect waiting for its token')
    await create(token, 'while away')
    await pruneEvents(database.db, new Date(Date.now() + 1000))
    await create(token, 'after pruning')
    openGate()
    await until(() => resyncs.length === 1, 'resync')
    await create(token, 'live again')
    await until(() => seen.includes('live again'), 'live after resync')
    ws.disconnect()
  })

  test('an exception in an application handler is reported as an error event and delivery goes on', async () => {
    const token = await signToken(TEST_SECRET, { tenantId: 'sdk-5', userId: 'alice' })
    const ws = new PuoMemoWebSocket(token, { url: url() })
    const errors: unknown[] = []
    const seen: string[] = []
    ws.on('error', (e) => errors.push(e))
    ws.on('memory.created', () => {
      throw new Error('app bug')
    })
    ws.on('memory.created', (d) => seen.push(d.memory.content))
    await ws.connect()
    await until(() => ws.lastSeq !== undefined, 'subscribed')
    await create(token, 'one')
    await create(token, 'two')
    await until(() => seen.length === 2, 'both events')
    expect(errors).toHaveLength(2)
    expect(ws.state).toBe('open')
    ws.disconnect()
  })
})
