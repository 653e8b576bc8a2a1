// GET /ws-client: the interactive WebSocket test page (connect, subscribe, watch frames).
import { Elysia } from 'elysia'

const page = Bun.file(new URL('./client-page.html', import.meta.url).pathname)

export function clientPageController() {
  return new Elysia({ tags: ['realtime'] }).get(
    '/ws-client',
    () => new Response(page, { headers: { 'content-type': 'text/html; charset=utf-8' } }),
    { detail: { summary: 'WebSocket test client page' } },
  )
}
