// A whole instance in-process on a free port (real Bun server, real sockets), plus a WebSocket test client.
import type { Bus } from '../../src/bus/bus.ts'
import { createLocalBus } from '../../src/bus/local.ts'
import { loadConfig } from '../../src/config/load.ts'
import type { Database } from '../../src/db/database.ts'
import { createLocalEmbedder } from '../../src/memories/embedder/local.ts'
import { createLocalPresence } from '../../src/presence/local.ts'
import type { PresenceStore } from '../../src/presence/presence.ts'
import { type Instance, startInstance } from '../../src/server.ts'
import { instanceSettings } from '../../src/settings.ts'
import type { Metrics } from '../../src/telemetry/metrics.ts'
import { createWithRetry, TEST_SECRET } from './app.ts'
import { checkServerFrame } from './contract.ts'
import { capturingLogger } from './logs.ts'

export type TestInstance = ReturnType<typeof startTestInstance>

export function startTestInstance(
  database: Database,
  env: Record<string, string> = {},
  opts: { bus?: Bus; presence?: PresenceStore; metrics?: Metrics } = {},
): Instance & { bus: Bus } {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    JWT_SECRET: TEST_SECRET,
    // Clients of a stopped instance come back within 0.7 s, not up to 10.5 s (the default spread):
    // tests that restart an instance wait for them.
    SHUTDOWN_RECONNECT_SPREAD_MS: '200',
    ...env,
  })
  const bus = opts.bus ?? createLocalBus()
  const instance = startInstance({
    settings: instanceSettings(config),
    database,
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
    bus,
    presence: opts.presence ?? createLocalPresence(),
    embedder: createLocalEmbedder(32),
    log: capturingLogger(),
    jwtSecret: TEST_SECRET,
    instanceId: `test-${crypto.randomUUID().slice(0, 6)}`,
    version: 'test',
  })
  return Object.assign(instance, { bus })
}

// biome-ignore lint/suspicious/noExplicitAny: frames are inspected field by field in tests
export type AnyFrame = { id: string; type: string; seq?: number; timestamp: string; data: any }

export interface TestSocket {
  ws: WebSocket
  frames: AnyFrame[]
  /** Resolves with the first frame (already received or future) matching `pred`. */
  waitFor(pred: (f: AnyFrame) => boolean, what?: string, timeoutMs?: number): Promise<AnyFrame>
  send(type: string, data?: unknown, id?: string): string
  sendRaw(data: string | Uint8Array<ArrayBuffer>): void
  /** Subscribes and waits for the `subscribed` reply. */
  subscribe(channel: string): Promise<AnyFrame>
  closed: Promise<{ code: number; reason: string }>
  close(): Promise<void>
  /** Frames of the given types received so far. */
  of(...types: string[]): AnyFrame[]
}

export function wsUrl(instance: Instance, query = ''): string {
  return `${instance.url.replace('http', 'ws')}/api/v4/ws${query}`
}

export async function openSocket(
  url: string,
  init?: { headers?: Record<string, string> },
): Promise<TestSocket> {
  const ws = new WebSocket(url, init as unknown as string[])
  const frames: AnyFrame[] = []
  const waiters: { pred: (f: AnyFrame) => boolean; resolve: (f: AnyFrame) => void }[] = []
  let onClose!: (v: { code: number; reason: string }) => void
  const closed = new Promise<{ code: number; reason: string }>((r) => {
    onClose = r
  })
  ws.onmessage = (e) => {
    const f = JSON.parse(String(e.data)) as AnyFrame
    checkServerFrame(f)
    frames.push(f)
    for (const w of [...waiters]) {
      if (w.pred(f)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(f)
      }
    }
  }
  ws.onclose = (e) => onClose({ code: e.code, reason: e.reason })
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve()
    ws.onerror = () => reject(new Error(`could not open ${url}`))
  })
  const socket: TestSocket = {
    ws,
    frames,
    closed,
    waitFor(pred, what = 'frame', timeoutMs = 5000) {
      const found = frames.find(pred)
      if (found) return Promise.resolve(found)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `timed out waiting for ${what}; got ${frames.map((f) => f.type).join(',')}`,
              ),
            ),
          timeoutMs,
        )
        waiters.push({
          pred,
          resolve: (f) => {
            clearTimeout(timer)
            resolve(f)
          },
        })
      })
    },
    send(type, data, id = crypto.randomUUID()) {
      ws.send(JSON.stringify({ id, type, timestamp: new Date().toISOString(), data }))
      return id
    },
    sendRaw(data) {
      ws.send(data)
    },
    async subscribe(channel) {
      const id = socket.send('subscribe', { channel })
      return socket.waitFor(
        (f) => f.id === id && (f.type === 'subscribed' || f.type === 'error'),
        `subscribed ${channel}`,
      )
    },
    async close() {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000)
      await closed
    },
    of: (...types) => frames.filter((f) => types.includes(f.type)),
  }
  await socket.waitFor((f) => f.type === 'connected', 'connected')
  return socket
}

/** A REST call to a server (an in-process instance or a process) as `token`: status and JSON body (null for 204). */
export function restOf(server: { url: string }) {
  return (method: string, path: string, token: string, body?: unknown) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }).then(async (r) => ({
      status: r.status,
      // biome-ignore lint/suspicious/noExplicitAny: test replies are inspected field by field
      body: (r.status === 204 ? null : await r.json()) as any,
    }))
}

/** Waits a moment in which nothing is expected to arrive (for "received nothing else" checks). */
export const settle = (ms = 100) => Bun.sleep(ms)

/**
 * Creates 15 team memories through `instance`'s port as `writerToken`: five, then every socket of the
 * instance is dropped (1011), five more, then the instance is restarted on the same port, five more.
 * Returns the contents in write order and the restarted instance (the caller stops it).
 */
export async function writeAcrossDropAndRestart(
  instance: Instance,
  database: Database,
  writerToken: string,
): Promise<{ written: string[]; instance: Instance }> {
  const port = new URL(instance.url).port
  const written: string[] = []
  const write = async (content: string) => {
    written.push(await createWithRetry(`http://127.0.0.1:${port}`, writerToken, content))
  }
  for (let n = 0; n < 5; n++) await write(`a${n}`)
  for (const s of instance.registry.sockets) s.close(1011, 'dropped by test')
  for (let n = 0; n < 5; n++) await write(`b${n}`)
  await instance.stop()
  const restarted = startTestInstance(database, { PORT: port })
  for (let n = 0; n < 5; n++) await write(`c${n}`)
  return { written, instance: restarted }
}
