// Reference server for side-by-side runs: the smallest Bun WebSocket + topics server that speaks the
// load scenarios' protocol. No database, no auth, no ordering or resume: the floor PUO Memo is
// measured against.
//
//   bun load/peers/raw-bun.ts            (PORT, default 0 = free port; prints {"msg":"listening","url":…})
//
// Socket:  GET /ws?tenant=T&user=U  → {"type":"connected"}; client sends {"type":"subscribe"} →
//          {"type":"subscribed"}; every publish to the tenant arrives as a memory.created frame.
// Publish: POST /publish {"tenant":"T","content":"…"} → 201; fans out to the tenant's topic.
interface Data {
  tenant: string
}

let seq = 0
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
      const frame = JSON.stringify({
        id: crypto.randomUUID(),
        type: 'memory.created',
        seq: ++seq,
        timestamp: new Date().toISOString(),
        data: { memory: { content, visibility: 'team' } },
      })
      srv.publish(`m/${tenant}`, frame)
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
process.on('SIGTERM', () => {
  server.stop(true)
  process.exit(0)
})
console.log(JSON.stringify({ msg: 'listening', url: `http://127.0.0.1:${server.port}` }))
