// Which methods the app serves on a path, so an unmatched request learns 405 + Allow instead of 404.

export type RouteList = readonly { method: string; path: string }[]

const compiled = new WeakMap<RouteList, { method: string; pattern: RegExp }[]>()

function patternOf(path: string): RegExp {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path
  const source = trimmed
    .split('/')
    .map((seg) =>
      seg.startsWith(':')
        ? '[^/]+'
        : seg === '*'
          ? '.*'
          : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('/')
  return new RegExp(`^${source}/?$`)
}

/** The methods of every route whose template matches `pathname` (HEAD with GET), sorted. */
export function allowedMethods(routes: RouteList, pathname: string): string[] {
  let list = compiled.get(routes)
  if (!list) {
    list = routes
      .filter((r) => r.method !== 'ALL' && !r.path.includes('*'))
      .map((r) => ({ method: r.method.toUpperCase(), pattern: patternOf(r.path) }))
    compiled.set(routes, list)
  }
  const methods = new Set<string>()
  for (const r of list) if (r.pattern.test(pathname)) methods.add(r.method)
  if (methods.has('GET')) methods.add('HEAD')
  return [...methods].sort()
}
