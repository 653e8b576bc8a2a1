// The built SDK under Node without passing a WebSocket class: Node 20 finds `ws` in the app's folder
// (the working directory) or fails at construction with a clear error.
// Usage (cwd = the app's folder): node node-sdk-lookup.mjs SDK_PATH WS_URL TOKEN → one JSON line.
const [sdkPath, url, token] = process.argv.slice(2)
const { PuoMemoWebSocket } = await import(sdkPath)
let ws
try {
  ws = new PuoMemoWebSocket(token, { url })
} catch (err) {
  console.log(JSON.stringify({ error: err.message, node: process.version }))
  process.exit(0)
}
await ws.connect()
const state = ws.state
ws.disconnect()
console.log(JSON.stringify({ state, node: process.version }))
