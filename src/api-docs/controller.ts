// GET /docs: the API reference page, served entirely from this server: the OpenAPI document at
// /docs/json and Swagger UI from the installed swagger-ui-dist package (pinned in package.json), so
// the page works offline and makes no request elsewhere.
import { Elysia } from 'elysia'
import { completeDocument, type DocumentedRoute } from './document.ts'

const page = Bun.file(new URL('./page.html', import.meta.url).pathname)

/** The files of the installed Swagger UI the page loads, by the name the page asks for. */
const ASSETS: Record<string, string> = {
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui.css': 'text/css; charset=utf-8',
}
const assetPath = (name: string) => Bun.resolveSync(`swagger-ui-dist/${name}`, import.meta.dir)

/**
 * Use before the OpenAPI plugin: its /docs/json answer is completed on the way out, from the app's
 * routes (read when the document is asked for).
 */
export function apiDocsController(routes: () => readonly DocumentedRoute[]) {
  return new Elysia({ name: 'api-docs', tags: ['docs'] })
    .onAfterHandle({ as: 'global' }, ({ path, response }) =>
      path === '/docs/json' ? completeDocument(response, routes()) : undefined,
    )
    .get(
      '/docs',
      () => new Response(page, { headers: { 'content-type': 'text/html; charset=utf-8' } }),
      { detail: { hide: true } },
    )
    .get(
      '/docs/assets/:name',
      ({ params, set }) => {
        const type = ASSETS[params.name]
        if (!type) {
          set.status = 404
          return { error: { code: 'not_found', message: `No asset ${params.name.slice(0, 80)}` } }
        }
        return new Response(Bun.file(assetPath(params.name)), {
          headers: { 'content-type': type, 'cache-control': 'public, max-age=86400' },
        })
      },
      { detail: { hide: true } },
    )
}
