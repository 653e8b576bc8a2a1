// No event lost or duplicated when the link drops at any byte of a resume: the link to the server
// goes through a proxy the test owns, which cuts the resuming connection after k bytes, for many k.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { signToken } from '../src/auth/jwt.ts'
import { PuoMemoWebSocket } from '../src/client/puo-memo-websocket.ts'
import type { Database } from '../src/db/database.ts'
import { readEvents } from '../src/events/read.ts'
import type { Instance } from '../src/server.ts'
import { TEST_SECRET } from './support/app.ts'
import { pgliteBackend } from './support/db.ts'
import { startTestInstance } from './support/realtime.ts'
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.ts'

const MISSED = 40

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

  /** Runs one cut at byte k; returns how many bytes the resume's first connection would have carried. */
  async function cutAt(k: number): Promise<void> {
    const tenant = `cut-${crypto.randomUUID().slice(0, 8)}`
    const token = await signToken(TEST_SECRET, { tenantId: tenant, userId: 'reader' })
    const writer = await signToken(TEST_SECRET, { tenantId: tenant, userId: 'writer' })
    await create(writer, 'before')
    const client = new PuoMemoWebSocket(token, {
      url: `ws://127.0.0.1:${proxy.port}/api/v4/ws`,
      reconnect: { minMs: 5, maxMs: 20 },
    })
    const delivered: string[] = []
    for (const type of [
      'memory.created',
      'memory.updated',
      'memory.deleted',
      'memory.embedding_complete',
    ]) {
      client.on(type, (_data: unknown, frame: { id: string }) => delivered.push(frame.id))
    }
    const subscribed = new Promise<void>((resolve) => client.on('subscribed', () => resolve()))
    await client.connect()
    await subscribed
    for (let i = 0; i < 100 && client.lastSeq === undefined; i++) await Bun.sleep(5)
    const from = client.lastSeq ?? 0
    // Offline while MISSED memories are written (each logs created, then embedding complete).
    proxy.cut()
    for (let i = 0; i < 50 && client.state !== 'reconnecting'; i++) await Bun.sleep(5)
    for (let i = 0; i < MISSED; i++) await create(writer, `missed ${i} ${'x'.repeat(i * 7)}`)
    for (let i = 0; i < 200 && (await owed(tenant, from)).length < 2 * MISSED; i++)
      await Bun.sleep(10)
    proxy.cutNextAfter(k)
    proxy.restore()
    const want = await owed(tenant, from)
    for (let i = 0; i < 500 && !want.every((id) => delivered.includes(id)); i++) await Bun.sleep(10)
    client.disconnect()
    const missing = want.filter((id) => !delivered.includes(id))
    const duplicated = delivered.filter((id, i) => delivered.indexOf(id) !== i)
    if (missing.length > 0 || duplicated.length > 0) {
      throw new Error(
        `cut at byte ${k}: ${missing.length} of ${want.length} events never delivered, ${duplicated.length} duplicated`,
      )
    }
    expect(client.lastSeq).toBeGreaterThanOrEqual(from + want.length)
  }

  test('the JS SDK loses and duplicates nothing, wherever the replay is cut', async () => {
    // The resume's connection carries the 101 response, `connected`, the replay of 2 × MISSED frames
    // (~25 KB) and `subscribed`: cut at the edges, inside frames, and past the end.
    const ks = [0, 1, 60, 129, 130, 200, 400, 700, 1000, 1500, 2000, 3000, 4500, 6000, 8000, 10_000]
    for (let k = 12_000; k < 40_000; k += 1777) ks.push(k)
    for (const k of ks) await cutAt(k)
  }, 240_000)
})
