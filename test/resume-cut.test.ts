// No event lost or duplicated when the link drops at any byte of a resume: the link to the server
// goes through a proxy the test owns, which cuts the resuming connection after k bytes, for many k.
import { afterAll, beforeAll, describe, test } from 'bun:test'
import { type Browser, chromium } from 'playwright-core'
import { signToken } from '../src/auth/jwt.ts'
import { PuoMemoWebSocket } from '../src/client/puo-memo-websocket.ts'
import type { Database } from '../src/db/database.ts'
import { readEvents } from '../src/events/read.ts'
import type { Instance } from '../src/server.ts'
import { startTcpProxy, type TcpProxy } from './harness/tcp-proxy.ts'
import { TEST_SECRET } from './support/app.ts'
import { pgliteBackend } from './support/db.ts'
import {
  chromiumArgs,
  chromiumPath,
  debianPython,
  hasChromium,
  hasPythonWebsockets,
  servicesRequired,
} from './support/env.ts'
import { startTestInstance } from './support/realtime.ts'

const MISSED = 40
const pythonClient = new URL('./clients/python_cut_client.py', import.meta.url).pathname

describe('resume cut at byte k', () => {
  let database: Database
  let instance: Instance
  let proxy: TcpProxy
  beforeAll(async () => {
    database = await pgliteBackend.open()
    instance = startTestInstance(database)
    proxy = await startTcpProxy('127.0.0.1', Number(new URL(instance.url).port))
  })
  afterAll(async () => {
    proxy?.stop()
    await instance?.stop()
  })

  async function create(token: string, content: string): Promise<void> {
    const res = await instance.app.handle(
      new Request('http://localhost/api/v4/memories', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ content, visibility: 'team' }),
      }),
    )
    if (res.status !== 201) throw new Error(`create answered ${res.status}`)
  }

  /** Every event of the tenant after `after`, from the log: what the client is owed. */
  const owed = async (tenant: string, after: number) =>
    (await readEvents(database.db, tenant, after, { limit: 10_000 })).map((e) => e.id)

  /** Runs one cut at byte k of the resuming connection, with one client of the given kind. */
  async function cutAt(k: number, open: OpenClient): Promise<void> {
    const tenant = `cut-${crypto.randomUUID().slice(0, 8)}`
    const token = await signToken(TEST_SECRET, { tenantId: tenant, userId: 'reader' })
    const writer = await signToken(TEST_SECRET, { tenantId: tenant, userId: 'writer' })
    await create(writer, 'before')
    const client = await open(`ws://127.0.0.1:${proxy.port}/api/v4/ws`, token)
    try {
      await until(() => client.lastSeq() !== undefined, 'subscribed')
      const from = client.lastSeq() ?? 0
      // Offline while MISSED memories are written (each logs created, then embedding complete).
      proxy.cut()
      await until(() => client.state() === 'reconnecting', 'reconnecting')
      for (let i = 0; i < MISSED; i++) await create(writer, `missed ${i} ${'x'.repeat(i * 7)}`)
      await until(async () => (await owed(tenant, from)).length >= 2 * MISSED, 'embeddings')
      proxy.cutNextAfter(k)
      proxy.restore()
      const want = await owed(tenant, from)
      await until(
        () => want.every((id) => client.delivered().includes(id)),
        'delivery',
        8000,
      ).catch(() => {})
      await Bun.sleep(50) // a duplicate would arrive now
      const delivered = client.delivered()
      const missing = want.filter((id) => !delivered.includes(id))
      const duplicated = delivered.filter((id, i) => delivered.indexOf(id) !== i)
      if (missing.length > 0 || duplicated.length > 0) {
        throw new Error(
          `cut at byte ${k}: ${missing.length} of ${want.length} events never delivered, ${duplicated.length} duplicated`,
        )
      }
    } finally {
      await client.stop()
    }
  }

  /** Cut at the edges, inside frames, and past the end of the resume's connection (the 101 response,
   * `connected`, the replay of 2 × MISSED frames, ~25 KB, and `subscribed`). */
  function byteOffsets(step: number): number[] {
    const ks = [0, 1, 60, 129, 130, 200, 400, 700, 1000, 1500, 2000, 3000, 4500, 6000, 8000, 10_000]
    for (let k = 12_000; k < 40_000; k += step) ks.push(k)
    return ks
  }

  test('the JS SDK loses and duplicates nothing, wherever the replay is cut', async () => {
    for (const k of byteOffsets(1777)) await cutAt(k, openJsClient)
  }, 240_000)

  test.skipIf(!hasPythonWebsockets && !servicesRequired)(
    'the Python SDK loses and duplicates nothing, wherever the replay is cut',
    async () => {
      for (const k of byteOffsets(3001)) await cutAt(k, openPythonClient)
    },
    240_000,
  )

  test.skipIf(!hasChromium && !servicesRequired)(
    'the test page (the SDK in chromium) loses and duplicates nothing, wherever the replay is cut',
    async () => {
      const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs })
      try {
        for (const k of byteOffsets(5003)) {
          await cutAt(k, (url, token) => openTestPage(browser, instance.url, url, token))
        }
      } finally {
        await browser.close()
      }
    },
    240_000,
  )
})

interface CutClient {
  delivered(): string[]
  lastSeq(): number | undefined
  state(): string
  stop(): Promise<void>
}
type OpenClient = (url: string, token: string) => Promise<CutClient>

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 5000) {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (await cond()) return
    await Bun.sleep(5)
  }
  throw new Error(`timed out waiting for ${what}`)
}

const MEMORY_EVENTS = [
  'memory.created',
  'memory.updated',
  'memory.deleted',
  'memory.embedding_complete',
] as const

async function openJsClient(url: string, token: string): Promise<CutClient> {
  const client = new PuoMemoWebSocket(token, { url, reconnect: { minMs: 5, maxMs: 20 } })
  const delivered: string[] = []
  for (const type of MEMORY_EVENTS) {
    client.on(type, (_data: unknown, frame: { id: string }) => delivered.push(frame.id))
  }
  await client.connect()
  return {
    delivered: () => delivered,
    lastSeq: () => client.lastSeq,
    state: () => client.state,
    stop: async () => client.disconnect(),
  }
}

async function openPythonClient(url: string, token: string): Promise<CutClient> {
  const proc = Bun.spawn([debianPython, pythonClient, url, token], {
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'inherit',
  })
  const delivered: string[] = []
  let lastSeq: number | undefined
  let state = 'connecting'
  void (async () => {
    let buf = ''
    for await (const chunk of proc.stdout) {
      buf += new TextDecoder().decode(chunk)
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = JSON.parse(buf.slice(0, nl)) as {
          event?: string
          state?: string
          last_seq?: number
        }
        buf = buf.slice(nl + 1)
        if (line.event) delivered.push(line.event)
        if (line.state) {
          if (line.state !== 'subscribed') state = line.state
          lastSeq = line.last_seq ?? lastSeq
        }
      }
    }
  })()
  return {
    delivered: () => delivered,
    lastSeq: () => lastSeq,
    state: () => state,
    async stop() {
      proc.stdin.end()
      await proc.exited
    },
  }
}

async function openTestPage(
  browser: Browser,
  serverUrl: string,
  wsUrl: string,
  token: string,
): Promise<CutClient> {
  const page = await browser.newPage()
  await page.goto(`${serverUrl}/ws-client?token=${token}`)
  await page.fill('#url', wsUrl)
  await page.click('#connect')
  await page.waitForSelector('#state.open')
  await page.selectOption('#channel', 'memories')
  await page.click('#subscribe')
  let delivered: string[] = []
  let lastSeq: number | undefined
  let state = 'open'
  let isClosed = false
  // Polled from the page: the frames it logged (each once, as the SDK delivers them) and the SDK's state.
  const poll = async () => {
    while (!isClosed) {
      const snap = await page
        .evaluate(() => {
          const client = (
            window as unknown as { puoClient(): { lastSeq?: number; state: string } | null }
          ).puoClient()
          const ids = [...document.querySelectorAll('#log details.in pre')]
            .map(
              (pre) =>
                JSON.parse(pre.textContent ?? '{}') as { id: string; seq?: number; type: string },
            )
            .filter((f) => f.seq !== undefined && f.type.startsWith('memory.'))
            .map((f) => f.id)
            .reverse()
          return { ids, lastSeq: client?.lastSeq, state: client?.state ?? 'closed' }
        })
        .catch(() => undefined)
      if (snap) {
        delivered = snap.ids
        lastSeq = snap.lastSeq ?? undefined
        state = snap.state
      }
      await Bun.sleep(20)
    }
  }
  const polling = poll()
  return {
    delivered: () => delivered,
    lastSeq: () => lastSeq,
    state: () => state,
    async stop() {
      isClosed = true
      await polling
      await page.close()
    },
  }
}
