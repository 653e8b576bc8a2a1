// GET /ws-client: the interactive WebSocket test page, driven by the SDK itself (GET /ws-client/sdk.js,
// bundled from src/client on first request), so the page reconnects and resumes exactly as apps do.
import { Elysia } from 'elysia'

const page = Bun.file(new URL('./client-page.html', import.meta.url).pathname)
const sdkEntry = new URL('../client/index.ts', import.meta.url).pathname

let sdk: Promise<string> | undefined
function bundleSdk(): Promise<string> {
  sdk ??= Bun.build({ entrypoints: [sdkEntry], target: 'browser', format: 'esm', minify: true })
    .then(async (out) => {
      const js = out.outputs[0]
      if (!out.success || !js) throw new Error('could not bundle the client SDK')
      return js.text()
    })
    .catch((err: unknown) => {
      sdk = undefined
      throw err
    })
  return sdk
}

export function clientPageController() {
  return new Elysia({ tags: ['realtime'] })
    .get(
      '/ws-client',
      () => new Response(page, { headers: { 'content-type': 'text/html; charset=utf-8' } }),
      { detail: { summary: 'WebSocket test client page' } },
    )
    .get(
      '/ws-client/sdk.js',
      async () =>
        new Response(await bundleSdk(), {
          headers: { 'content-type': 'text/javascript; charset=utf-8' },
        }),
      { detail: { summary: 'The client SDK as one ES module (used by the test page)' } },
    )
}
