// Each request's id (the caller's X-Request-Id when well-formed, else a new UUID), for log lines.

const REQUEST_ID = /^[\w.-]{1,64}$/
const ids = new WeakMap<Request, string>()

/** Assigns the request its id once; later calls return the same one. */
export function assignRequestId(request: Request): string {
  let id = ids.get(request)
  if (!id) {
    const given = request.headers.get('x-request-id')
    id = given && REQUEST_ID.test(given) ? given : crypto.randomUUID()
    ids.set(request, id)
  }
  return id
}

export const requestIdOf = (request: Request): string | undefined => ids.get(request)
