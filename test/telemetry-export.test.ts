// OTLP/HTTP export from real server processes: metrics reach a collector, and one trace follows a
// write from the HTTP request on one instance, through Redis, to the sockets on another. The cluster
// embeds through an HTTP embedder (served here), so each write's embedding is queued: its own trace;
// a server with the local embedder publishes a write's embedding_complete in the write's trace.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { signToken } from '../src/auth/jwt.ts'
import { type Cluster, startCluster } from './harness/cluster.ts'
import { type PrivateRedis, redisServerPath, startPrivateRedis } from './harness/redis.ts'
import { type RunningServer, startServer } from './harness/server.ts'
import { freshPostgresUrl } from './support/db.ts'
import { postgresUrl } from './support/env.ts'
import { serverLogLines } from './support/logs.ts'
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from './support/otlp-receiver.ts'
import { openSocket, restOf } from './support/realtime.ts'

const SERVER = 2
const CLIENT = 3
const PRODUCER = 4
const CONSUMER = 5

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const found = await probe()
    if (found !== undefined) return found
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(100)
  }
}

/** Creates a team memory with a traceparent of a new trace whose parent span is `parentSpan`; its trace id. */
async function tracedCreate(url: string, token: string, content: string, parentSpan: string) {
  const traceId = crypto.randomUUID().replaceAll('-', '')
  const res = await fetch(`${url}/api/v4/memories`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      traceparent: `00-${traceId}-${parentSpan}-01`,
    },
    body: JSON.stringify({ content, visibility: 'team' }),
  })
  expect(res.status).toBe(201)
  return traceId
}

describe.skipIf(postgresUrl === undefined || redisServerPath === null)('OTLP export', () => {
  let receiver: OtlpReceiver
  let redis: PrivateRedis
  let cluster: Cluster
  let embeddings: ReturnType<typeof Bun.serve>
  beforeAll(async () => {
    embeddings = Bun.serve({
      hostname: '127.0.0.1',
      port: 0,
      async fetch(req) {
        const { input } = (await req.json()) as { input: string[] }
        return Response.json({
          data: input.map((s, index) => ({ index, embedding: [1, s.length] })),
        })
      },
    })
    receiver = startOtlpReceiver()
    redis = await startPrivateRedis()
    cluster = await startCluster({
      instances: 2,
      database: { url: await freshPostgresUrl(postgresUrl as string) },
      redisUrl: redis.url,
      env: {
        EVENT_SYNC_INTERVAL_MS: '500',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        EMBEDDING_URL: `http://127.0.0.1:${embeddings.port}/v1/embeddings`,
        OTEL_METRIC_EXPORT_INTERVAL: '300',
        // The SDK's own batching knob: export spans within 100 ms instead of 5 s.
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
    })
  })
  afterAll(async () => {
    await cluster?.stop()
    await redis?.stop()
    receiver?.stop()
    embeddings?.stop(true)
  })

  test('one trace runs from the POST on instance 0 to the fan-out on instance 1', async () => {
    const [url0, url1] = cluster.urls as [string, string]
    const bob = await openSocket(
      `${url1.replace('http', 'ws')}/api/v4/ws?token=${await cluster.token('traced', 'bob')}`,
    )
    await bob.subscribe('memories')
    const traceId = await tracedCreate(
      url0,
      await cluster.token('traced', 'alice'),
      'follow me',
      'ab'.repeat(8),
    )
    await bob.waitFor((f) => f.type === 'memory.created')
    await bob.close()

    const inTrace = () => receiver.spans.filter((s) => s.traceId === traceId)
    const fanOut = await until('the fan-out span from instance 1', () =>
      inTrace().find((s) => s.kind === CONSUMER && s.instance === 'node-1'),
    )
    const one = (pred: (s: ReceivedSpan) => boolean) => {
      const found = inTrace().filter(pred)
      expect(found).toHaveLength(1)
      return found[0] as ReceivedSpan
    }
    const request = one((s) => s.kind === SERVER)
    expect(request.instance).toBe('node-0')
    expect(request.name).toBe('POST /api/v4/memories')
    expect(request.parentSpanId).toBe('ab'.repeat(8))
    expect(request.attributes['http.response.status_code']).toBe(201)
    const db = one((s) => s.kind === CLIENT)
    expect(db.attributes['db.operation.name']).toBe('memory.create')
    expect(db.parentSpanId).toBe(request.spanId)
    const publish = one((s) => s.kind === PRODUCER)
    expect(publish.name).toBe('publish memory.created')
    expect(publish.attributes['messaging.system']).toBe('redis')
    expect(publish.parentSpanId).toBe(request.spanId)
    // The write's own instance fans out too (nobody listens there); the other instance reached bob.
    expect(fanOut.parentSpanId).toBe(publish.spanId)
    expect(fanOut.attributes['puo.sockets']).toBe(1)
    // Instance 0 serves no socket of this tenant: it has nothing to fan out, so it records no such span.
    await Bun.sleep(500)
    expect(inTrace().filter((s) => s.kind === CONSUMER)).toHaveLength(1)

    // The request's log line names its trace and span.
    const logged = serverLogLines
      .filter((l) => l.includes(traceId))
      .map((l) => JSON.parse(l) as { msg: string; trace_id?: string; span_id?: string })
    const line = logged.find((l) => l.msg === 'request')
    expect(line?.trace_id).toBe(traceId)
    expect(inTrace().map((s) => s.spanId)).toContain(line?.span_id as string)
  }, 60_000)

  test('the embedding of a write is its own trace, linked to the write; its event fans out in it', async () => {
    const [url0, url1] = cluster.urls as [string, string]
    const bob = await openSocket(
      `${url1.replace('http', 'ws')}/api/v4/ws?token=${await cluster.token('linked', 'bob')}`,
    )
    await bob.subscribe('memories')
    const traceId = await tracedCreate(
      url0,
      await cluster.token('linked', 'alice'),
      'embed me',
      'cd'.repeat(8),
    )
    await bob.waitFor((f) => f.type === 'memory.embedding_complete')
    await bob.close()
    const write = await until('the write', () =>
      receiver.spans.find((s) => s.traceId === traceId && s.kind === CLIENT),
    )
    const embed = await until('the embedding span linked to the write', () =>
      receiver.spans.find(
        (s) => s.name === 'embed memories' && s.links.some((l) => l.traceId === traceId),
      ),
    )
    expect(embed.traceId).not.toBe(traceId)
    // The job is queued inside the write's transaction: the link points at that span.
    expect(write.attributes['db.operation.name']).toBe('memory.create')
    expect(embed.links).toContainEqual({ traceId, spanId: write.spanId })
    const fanOut = await until('the embedding_complete fan-out on instance 1', () =>
      receiver.spans.find(
        (s) =>
          s.traceId === embed.traceId &&
          s.kind === CONSUMER &&
          s.name === 'fan-out memory.embedding_complete',
      ),
    )
    expect(fanOut.instance).toBe('node-1')
  }, 60_000)

  test('health probes and metric scrapes are not traced by default', async () => {
    const url0 = cluster.urls[0] as string
    const traceId = crypto.randomUUID().replaceAll('-', '')
    const traceparent = `00-${traceId}-${'ef'.repeat(8)}-01`
    expect((await fetch(`${url0}/health`, { headers: { traceparent } })).status).toBe(200)
    await fetch(`${url0}/api/v4/memories`, { headers: { traceparent } })
    await until('the traced request', () =>
      receiver.spans.find((s) => s.traceId === traceId && s.kind === SERVER),
    )
    const servers = receiver.spans.filter((s) => s.traceId === traceId && s.kind === SERVER)
    expect(servers.map((s) => s.attributes['url.path'])).toEqual(['/api/v4/memories'])
  }, 60_000)

  test('metrics are pushed with the values the traffic produced', async () => {
    const url1 = cluster.urls[1] as string
    const token = await cluster.token('pushed', 'carol')
    for (let i = 0; i < 3; i++) {
      const ws = await openSocket(`${url1.replace('http', 'ws')}/api/v4/ws?token=${token}`)
      await ws.close()
    }
    const latest = (name: string, instance: string) =>
      receiver.metrics.findLast((m) => m.name === name && m.instance === instance)?.value
    // Cumulative counters: node-1 had a socket of bob's in each earlier test and three more here.
    await until('5 opened connections from node-1', () =>
      latest('puo.ws.connections.opened', 'node-1') === 5 ? true : undefined,
    )
    expect(latest('puo.ws.connections.active', 'node-1')).toBe(0)
    expect(latest('puo.event.delivery.latency', 'node-1')).toBeGreaterThanOrEqual(1)
    expect(latest('http.server.request.duration', 'node-0')).toBeGreaterThanOrEqual(1)
  }, 60_000)

  // Last: it takes the bus away.
  test('an event the bus missed, filled from the log, still gets its fan-out span', async () => {
    const [url0, url1] = cluster.urls as [string, string]
    const bob = await openSocket(
      `${url1.replace('http', 'ws')}/api/v4/ws?token=${await cluster.token('filled', 'bob')}`,
    )
    await bob.subscribe('memories')
    await redis.kill('SIGKILL')
    // Both instances know the bus is gone before the write: the event can only come from the log.
    for (const url of [url0, url1]) {
      await until(`${url} to see the bus down`, async () => {
        const body = (await (await fetch(`${url}/health`)).json()) as { bus: { status: string } }
        return body.bus.status === 'down' ? true : undefined
      })
    }
    const before = receiver.spans.length
    const res = await restOf({ url: url0 })(
      'POST',
      '/api/v4/memories',
      await cluster.token('filled', 'alice'),
      { content: 'through the log', visibility: 'team' },
    )
    expect(res.status).toBe(201)
    const created = await bob.waitFor(
      (f) => f.type === 'memory.created',
      'the filled event',
      15_000,
    )
    const span = await until('the fan-out span of the filled event', () =>
      receiver.spans
        .slice(before)
        .find(
          (s) =>
            s.kind === CONSUMER &&
            s.instance === 'node-1' &&
            s.attributes['puo.event.seq'] === created.seq &&
            s.name === 'fan-out memory.created',
        ),
    )
    expect(span.attributes['puo.event.source']).toBe('log')
    await bob.close()
    await redis.start()
  }, 60_000)
})

describe('OTLP export, local embedder', () => {
  const secret = crypto.randomUUID() + crypto.randomUUID()
  let receiver: OtlpReceiver
  let server: RunningServer
  beforeAll(async () => {
    receiver = startOtlpReceiver()
    server = await startServer({
      DATA_DIR: mkdtempSync(join(tmpdir(), 'puo-otlp-')),
      DATABASE_URL: '',
      JWT_SECRET: secret,
      INSTANCE_ID: 'solo',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_BSP_SCHEDULE_DELAY: '100',
    })
  }, 90_000)
  afterAll(async () => {
    await server?.stop()
    receiver?.stop()
  })

  test('a write embedded in itself publishes and fans out its embedding_complete in its own trace', async () => {
    const token = (userId: string) => signToken(secret, { tenantId: 'inline', userId })
    const bob = await openSocket(
      `${server.url.replace('http', 'ws')}/api/v4/ws?token=${await token('bob')}`,
    )
    await bob.subscribe('memories')
    const traceId = await tracedCreate(
      server.url,
      await token('alice'),
      'embedded at once',
      'ef'.repeat(8),
    )
    await bob.waitFor((f) => f.type === 'memory.embedding_complete')
    await bob.close()
    const inTrace = (pred: (s: ReceivedSpan) => boolean) =>
      receiver.spans.filter((s) => s.traceId === traceId && pred(s))
    const fanOut = await until(
      'the embedding_complete fan-out in the write’s trace',
      () =>
        inTrace((s) => s.kind === CONSUMER && s.name === 'fan-out memory.embedding_complete')[0],
    )
    const [request] = inTrace((s) => s.kind === SERVER)
    const publishes = inTrace((s) => s.kind === PRODUCER)
    expect(publishes.map((s) => s.name).sort()).toEqual([
      'publish memory.created',
      'publish memory.embedding_complete',
    ])
    for (const p of publishes) expect(p.parentSpanId).toBe(request?.spanId as string)
    const published = publishes.find((s) => s.name === 'publish memory.embedding_complete')
    expect(fanOut.parentSpanId).toBe(published?.spanId as string)
    // Nothing was queued: no worker span is linked to this write.
    expect(receiver.spans.filter((s) => s.links.some((l) => l.traceId === traceId))).toEqual([])
  }, 60_000)
})
