// Reference server for side-by-side runs: Socket.IO 4 (WebSocket transport only, rooms per tenant,
// the Redis adapter when REDIS_URL is set) on Node, speaking the load scenarios' protocol. Plain
// JavaScript so that Node runs it as is.
//
//   node --expose-gc load/peers/socketio.mjs   (PORT, default 0; REDIS_URL optional)
//
// Socket:  /socket.io/?EIO=4&transport=websocket&tenant=T → client emits "subscribe" → "subscribed";
//          every publish to the tenant arrives as a "memory.created" event.
// Publish: POST /publish {"tenant":"T","content":"…"} → 201.
import { createServer } from 'node:http'
import { Server } from 'socket.io'

const http = createServer()
const io = new Server(http, {
  transports: ['websocket'],
  perMessageDeflate: false,
  serveClient: false,
})

if (process.env.REDIS_URL) {
  const { createAdapter } = await import('@socket.io/redis-adapter')
  const { Redis } = await import('ioredis')
  const pub = new Redis(process.env.REDIS_URL)
  const sub = pub.duplicate()
  io.adapter(createAdapter(pub, sub))
}

let seq = 0
http.on('request', (req, res) => {
  if (req.url === '/publish' && req.method === 'POST') {
    let body = ''
    req.on('data', (c) => {
      body += c
    })
    req.on('end', () => {
      const { tenant, content } = JSON.parse(body)
      io.to(tenant).emit('memory.created', {
        id: crypto.randomUUID(),
        type: 'memory.created',
        seq: ++seq,
        timestamp: new Date().toISOString(),
        data: { memory: { content, visibility: 'team' } },
      })
      res.writeHead(201).end()
    })
    return
  }
  if (req.url === '/health') return void res.writeHead(200).end('{"status":"ok"}')
  if (!req.url?.startsWith('/socket.io')) res.writeHead(404).end()
})

io.on('connection', (socket) => {
  const tenant = String(socket.handshake.query.tenant ?? 'default')
  socket.on('subscribe', () => {
    socket.join(tenant)
    socket.emit('subscribed')
  })
})

process.on('SIGUSR2', () => globalThis.gc?.())
process.on('SIGTERM', () => {
  io.close()
  process.exit(0)
})
http.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? '127.0.0.1', () => {
  console.log(JSON.stringify({ msg: 'listening', url: `http://127.0.0.1:${http.address().port}` }))
})
