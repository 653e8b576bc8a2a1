// The CLI's API key commands against a running server (--url): an admin token signed with the
// server's secret, and the answer's own error message when the server refuses.

export class RemoteError extends Error {}

export async function callServer(
  baseUrl: string,
  token: string,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<unknown> {
  let res: Response
  try {
    res = await fetch(new URL(path, baseUrl), {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    })
  } catch (err) {
    throw new RemoteError(`could not reach ${baseUrl}: ${(err as Error).message}`)
  }
  const text = await res.text()
  let parsed: unknown = text
  try {
    parsed = JSON.parse(text)
  } catch {}
  if (!res.ok) {
    const message = (parsed as { error?: { message?: string } })?.error?.message ?? text
    throw new RemoteError(`${baseUrl} answered ${res.status}: ${message}`)
  }
  return parsed
}
