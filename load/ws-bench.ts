// WebSocket benchmark: idle memory per connection, and create→event latency while N sockets listen.
//
//   bun load/ws-bench.ts --connections 1000 --tenants 10 --rate 20 --duration 20 [--db postgres] [--cpus 0]
//   bun load/ws-bench.ts --db postgres --instances 3 --redis redis://127.0.0.1:6379 …
//   bun load/ws-bench.ts … --env METRICS_ENABLED=false          (server settings, comma-separated)
//   bun load/ws-bench.ts … --otlp-sink                          (export traces and metrics to a local sink)
//
// With --instances N (PostgreSQL and Redis), sockets are spread round-robin over the instances and
// every write goes to the first one, so (N-1)/N of the deliveries cross instances through Redis.
//
// Opens `connections` sockets spread evenly over `tenants` (one user each), all subscribed to
// `memories`; measures the server's RSS before and after; then creates team memories through REST at
// `rate` per second, round-robin over tenants. Every create reaches every socket of its tenant.
// Latency is measured on the client clock from the moment the create request is sent.
import { signToken } from '../src/auth/jwt.ts'
import { parseArgs } from '../src/cli/args.ts'
import { startBenchServer } from './lib/server.ts'
import { summary } from './lib/stats.ts'

const { flags } = parseArgs(process.argv.slice(2))
const db = flags.get('db') === 'postgres' ? 'postgres' : 'pglite'
const connections = Number(flags.get('connections') ?? 1000)
const tenants = Number(flags.get('tenants') ?? 10)
const rate = Number(flags.get('rate') ?? 20)
const durationS = Number(flags.get('duration') ?? 20)
const cpus = flags.get('cpus')
const instances = Number(flags.get('instances') ?? 1)
const redisUrl = flags.get('redis')
const extraEnv = Object.fromEntries(
  (flags.get('env') ?? '')
    .split(',')
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
)
// A collector stand-in that accepts every OTLP push, so tracing costs what it costs in production.
let otlpRequests = 0
const sink =
  flags.get('otlp-sink') === 'true'
    ? Bun.serve({
        hostname: '127.0.0.1',
        port: 0,
        async fetch(req) {
          await req.arrayBuffer()
          otlpRequests++
          return Response.json({})
        },
      })
    : undefined
if (sink) extraEnv.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${sink.port}`
if (instances > 1 && (db !== 'postgres' || !redisUrl))
  throw new Error('--instances > 1 needs --db postgres and --redis URL')

const server = await startBenchServer({
  db,
  ...(cpus ? { cpus } : {}),
  env: { ...extraEnv, ...(redisUrl ? { REDIS_URL: redisUrl } : {}) },
})
const others = await Promise.all(
  Array.from({ length: instances - 1 }, () =>
    startBenchServer({
      db,
      databaseUrl: server.databaseUrl,
      secret: server.secret,
      env: { ...extraEnv, REDIS_URL: redisUrl as string },
    }),
  ),
)
const urls = [server.url, ...others.map((o) => o.url)]
const sent = new Map<number, number>()
const latencies: number[] = []
const received = new Map<number, number>()
let duplicates = 0
let other = 0
try {
  await Bun.sleep(1000)
  await server.gc()
  const rssBefore = server.rss()
  const sockets: WebSocket[] = []
  const connectStart = performance.now()
  for (let i = 0; i < connections; i += 100) {
    const batch = []
    for (let j = i; j < Math.min(connections, i + 100); j++) batch.push(openListener(j))
    sockets.push(...(await Promise.all(batch)))
  }
  const connectMs = performance.now() - connectStart
  await Bun.sleep(2000)
  await server.gc()
  const rssAfter = server.rss()

  const writers = await Promise.all(
    Array.from({ length: tenants }, (_, t) =>
      signToken(server.secret, { tenantId: `bench-${t}`, userId: 'writer', ttlSeconds: 3600 }),
    ),
  )
  const total = Math.round(rate * durationS)
  let errors = 0
  const writes: Promise<void>[] = []
  const cpuStart = server.cpuSeconds()
  const start = performance.now()
  for (let n = 1; n <= total; n++) {
    const due = start + (n * 1000) / rate
    const wait = due - performance.now()
    if (wait > 0) await Bun.sleep(wait)
    const tenant = n % tenants
    sent.set(n, performance.now())
    writes.push(
      fetch(`${server.url}/api/v4/memories`, {
        method: 'POST',
        headers: { authorization: `Bearer ${writers[tenant]}`, 'content-type': 'application/json' },
        body: JSON.stringify({ content: `bench:${n}`, visibility: 'team' }),
      }).then(async (r) => {
        await r.arrayBuffer()
        if (r.status !== 201) errors++
      }),
    )
  }
  await Promise.all(writes)
  await Bun.sleep(2000)
  const cpuS = server.cpuSeconds() - cpuStart
  const perTenant = connections / tenants
  const expected = total * perTenant
  const delivered = latencies.length
  const report = {
    date: new Date().toISOString(),
    db,
    instances,
    connections,
    tenants,
    ratePerSecond: rate,
    durationS,
    serverCpus: cpus ?? 'any',
    serverEnv: extraEnv,
    connectMs: Math.round(connectMs),
    rssBeforeMB: +(rssBefore / 1048576).toFixed(1),
    rssAfterMB: +(rssAfter / 1048576).toFixed(1),
    // Only meaningful with one instance (the first instance holds 1/N of the sockets otherwise).
    kbPerConnection: +((rssAfter - rssBefore) / (connections / instances) / 1024).toFixed(2),
    creates: total,
    createErrors: errors,
    expectedDeliveries: expected,
    delivered,
    lost: expected - delivered,
    duplicates,
    unexpectedFrames: other,
    latencyMs: summary(latencies),
    // Server CPU over the write phase (incl. 2 s of drain), per delivery to a socket; only the first
    // instance is measured.
    serverCpuS: +cpuS.toFixed(2),
    serverCpuUsPerDelivery:
      delivered > 0 ? +((cpuS * 1e6) / (delivered / instances)).toFixed(2) : 0,
    ...(sink ? { otlpRequests } : {}),
  }
  console.log(JSON.stringify(report))
  for (const ws of sockets) ws.close()
} finally {
  await Promise.all(others.map((o) => o.stop()))
  await server.stop()
  sink?.stop(true)
}

async function openListener(i: number): Promise<WebSocket> {
  const token = await signToken(server.secret, {
    tenantId: `bench-${i % tenants}`,
    userId: `u${i}`,
    ttlSeconds: 3600,
  })
  const ws = new WebSocket(
    `${(urls[i % urls.length] as string).replace('http', 'ws')}/api/v4/ws?token=${token}`,
  )
  const seen = new Set<number>()
  await new Promise<void>((resolve, reject) => {
    ws.onerror = () => reject(new Error(`socket ${i} failed`))
    ws.onmessage = (e) => {
      const f = JSON.parse(String(e.data)) as {
        type: string
        data: { memory?: { content: string } }
      }
      if (f.type === 'subscribed') return resolve()
      if (f.type === 'connected') {
        ws.send(
          JSON.stringify({
            id: 's',
            type: 'subscribe',
            timestamp: '',
            data: { channel: 'memories' },
          }),
        )
        return
      }
      if (f.type === 'memory.created') {
        const n = Number(f.data.memory?.content.slice(6))
        const t0 = sent.get(n)
        if (t0 === undefined) return void other++
        if (seen.has(n)) return void duplicates++
        seen.add(n)
        latencies.push(performance.now() - t0)
        received.set(n, (received.get(n) ?? 0) + 1)
      } else if (f.type !== 'memory.embedding_complete') other++
    }
  })
  return ws
}
