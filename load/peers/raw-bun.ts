// Reference server for side-by-side runs: the smallest Bun WebSocket + topics server that speaks the
// load scenarios' protocol. No database, no auth, no ordering or resume: the floor PUO Memo is
// measured against.
//
//   bun load/peers/raw-bun.ts            (PORT, default 0 = free port; prints {"msg":"listening","url":…})
//
// Socket:  GET /ws?tenant=T&user=U  → {"type":"connected"}; client sends {"type":"subscribe"} →
//          {"type":"subscribed"}; every publish to the tenant arrives as a memory.created frame.
// Publish: POST /publish {"tenant":"T","content":"…"} → 201; fans out to the tenant's topic.
//
// RAW_BUN_FRAMES=puo publishes, per write, what PUO Memo sends with its local embedder: a
// memory.created frame carrying a whole memory, then its memory.embedding_complete, back to back.
// The default (minimal) is one small frame per write. Comparing the two separates the cost of PUO
// Memo's frames (their size and number) from the cost of its write path.
//
// RAW_BUN_STORE_URL (a PostgreSQL URL; the load runner sets it, on a fresh database, when run with
// RAW_BUN_STORE=postgres) stores each write first: one insert through postgres.js, the stack's client,
// and the publish once it is stored. The floor for a write that is kept, against which PUO Memo's
// own write path (auth, validation, event log, telemetry, hub) is measured.
import postgres from 'postgres'

interface Data {
  tenant: string
}

let seq = 0
const isPuoShaped = process.env.RAW_BUN_FRAMES === 'puo'
const store = await storeOf(process.env.RAW_BUN_STORE_URL)

/** Where writes are kept before they are published, if anywhere: `save` resolves once stored. */
async function storeOf(url: string | undefined) {
  if (!url) return undefined
  const sql = postgres(url, { max: 4, onnotice: () => {} })
  await sql`create table if not exists raw_bun_writes (id uuid primary key, tenant text not null, body jsonb not null, created_at timestamptz not null default now())`
  return {
    save: (tenant: string, content: string) =>
      sql`insert into raw_bun_writes (id, tenant, body) values (${Bun.randomUUIDv7()}, ${tenant}, ${JSON.stringify({ content })}::jsonb) returning created_at`,
    end: () => sql.end({ timeout: 1 }),
  }
}

/** The frames one write publishes, in order. */
function framesOf(tenant: string, content: string): string[] {
  const timestamp = new Date().toISOString()
  if (!isPuoShaped) {
    const memory = { content, visibility: 'team' }
    return [frame('memory.created', timestamp, { memory })]
  }
  const id = Bun.randomUUIDv7()
  const model = 'local-hash-256'
  const memory = {
    id,
    tenantId: tenant,
    ownerId: 'writer',
    title: null,
    content,
    tags: [],
    metadata: {},
    visibility: 'team',
    version: 1,
    embedding: { status: 'ready', model, dimensions: 256 },
    createdAt: timestamp,
    updatedAt: timestamp,
  }
  return [
    frame('memory.created', timestamp, { memory }),
    frame('memory.embedding_complete', timestamp, { memoryId: id, model, dimensions: 256 }),
  ]
}

function frame(type: string, timestamp: string, data: object): string {
  return JSON.stringify({ id: crypto.randomUUID(), type, seq: ++seq, timestamp, data })
}
const server = Bun.serve<Data>({
  hostname: process.env.HOST ?? '127.0.0.1',
  port: Number(process.env.PORT ?? 0),
  async fetch(req, srv) {
    const url = new URL(req.url)
    if (url.pathname === '/ws') {
      const tenant = url.searchParams.get('tenant') ?? 'default'
      return srv.upgrade(req, { data: { tenant } })
        ? undefined
        : new Response('upgrade failed', { status: 400 })
    }
    if (url.pathname === '/publish' && req.method === 'POST') {
      const { tenant, content } = (await req.json()) as { tenant: string; content: string }
      await store?.save(tenant, content)
      for (const f of framesOf(tenant, content)) srv.publish(`m/${tenant}`, f)
      return new Response(null, { status: 201 })
    }
    if (url.pathname === '/health') return Response.json({ status: 'ok' })
    return new Response('not found', { status: 404 })
  },
  websocket: {
    perMessageDeflate: false,
    idleTimeout: 0,
    open(ws) {
      ws.send('{"type":"connected"}')
    },
    message(ws, msg) {
      if (String(msg).includes('"subscribe"')) {
        ws.subscribe(`m/${ws.data.tenant}`)
        ws.send('{"type":"subscribed"}')
      }
    },
  },
})
process.on('SIGUSR2', () => Bun.gc(true))
process.on('SIGTERM', async () => {
  server.stop(true)
  await store?.end()
  process.exit(0)
})
console.log(JSON.stringify({ msg: 'listening', url: `http://127.0.0.1:${server.port}` }))
