// A client written with Node's `ws` package (not ours): connect, subscribe, create over REST, see the event.
// Usage: node node-ws-client.mjs BASE_URL TOKEN   → prints one JSON line with what it saw.
import WebSocket from 'ws'

const [base, token] = process.argv.slice(2)
const ws = new WebSocket(
  `${base.replace('http', 'ws')}/api/v4/ws?token=${encodeURIComponent(token)}`,
)
const seen = []
const waiters = []
ws.on('message', (raw) => {
  const frame = JSON.parse(raw.toString())
  seen.push(frame)
  for (const w of [...waiters])
    if (w.pred(frame)) {
      waiters.splice(waiters.indexOf(w), 1)
      w.resolve(frame)
    }
})
const waitFor = (pred) =>
  new Promise((resolve, reject) => {
    const found = seen.find(pred)
    if (found) return resolve(found)
    waiters.push({ pred, resolve })
    setTimeout(() => reject(new Error(`timeout; saw ${seen.map((f) => f.type)}`)), 5000)
  })
const send = (type, data) =>
  ws.send(JSON.stringify({ id: `node-${type}`, type, timestamp: new Date().toISOString(), data }))

await new Promise((resolve, reject) => {
  ws.on('open', resolve)
  ws.on('error', reject)
})
const connected = await waitFor((f) => f.type === 'connected')
send('subscribe', { channel: 'memories' })
const subscribed = await waitFor((f) => f.id === 'node-subscribe')
send('ping', {})
const pong = await waitFor((f) => f.id === 'node-ping')
const res = await fetch(`${base}/api/v4/memories`, {
  method: 'POST',
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  body: JSON.stringify({ content: 'written for the node ws client', visibility: 'team' }),
})
const created = await res.json()
const event = await waitFor((f) => f.type === 'memory.created')
ws.close(1000)
console.log(
  JSON.stringify({
    connected: connected.data.userId,
    subscribed: subscribed.type,
    pong: pong.type,
    createdId: created.id,
    eventMemoryId: event.data.memory.id,
    seq: event.seq,
  }),
)
