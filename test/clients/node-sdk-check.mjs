// Runs the built SDK (dist/client) under Node with the `ws` package as its WebSocket.
// Usage: node node-sdk-check.mjs SDK_PATH WS_URL HTTP_URL TOKEN → one JSON line.
import WebSocket from 'ws'

const [sdkPath, url, base, token] = process.argv.slice(2)
const { PuoMemoWebSocket } = await import(sdkPath)
const ws = new PuoMemoWebSocket(token, { url, WebSocket })
const seen = []
ws.on('memory.created', (data) => seen.push(data.memory.content))
await ws.connect()
while (ws.lastSeq === undefined) await new Promise((r) => setTimeout(r, 10))
await fetch(`${base}/api/v4/memories`, {
  method: 'POST',
  headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  body: JSON.stringify({ content: 'from node', visibility: 'team' }),
})
for (let i = 0; i < 200 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 20))
ws.disconnect()
console.log(JSON.stringify({ seen, state: ws.state, node: process.version }))
