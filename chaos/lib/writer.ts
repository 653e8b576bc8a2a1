// The steady stream of writes of a chaos scenario: round-robin over tenants and their users, every
// third memory private, through the cluster's front door. Each write's outcome is kept: 201, a clean
// refusal (503), or no answer at all (connection cut, timeout).
export interface WriteOutcome {
  n: number
  tenant: string
  user: string
  status: number | 'no-answer'
  /** Why there was no answer (the fetch error), and when, in ms since the writer started. */
  error?: string
  atMs?: number
}

export function startWriter(opts: {
  url: string
  tenants: string[]
  users: string[]
  perSecond: number
  token: (tenant: string, user: string) => Promise<string>
  /** Extra content (slow-consumer scenarios make frames big). */
  padding?: number
}) {
  const outcomes: WriteOutcome[] = []
  const pending = new Set<Promise<void>>()
  const pad = opts.padding ? ` ${'x'.repeat(opts.padding)}` : ''
  let n = 0
  let isRunning = true
  const t0 = performance.now()
  const tokens = new Map<string, Promise<string>>()
  const tokenOf = (tenant: string, user: string) => {
    const key = `${tenant}/${user}`
    let t = tokens.get(key)
    if (!t) {
      t = opts.token(tenant, user)
      tokens.set(key, t)
    }
    return t
  }
  const writeOne = async (i: number) => {
    const tenant = opts.tenants[i % opts.tenants.length] as string
    const user = opts.users[Math.floor(i / opts.tenants.length) % opts.users.length] as string
    const outcome: WriteOutcome = { n: i, tenant, user, status: 'no-answer' }
    outcomes.push(outcome)
    try {
      const res = await fetch(`${opts.url}/api/v4/memories`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await tokenOf(tenant, user)}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          content: `chaos:${i}${pad}`,
          // Every third write of each tenant is private (not i % 3: that would tie visibility to the tenant).
          visibility: Math.floor(i / opts.tenants.length) % 3 === 0 ? 'private' : 'team',
        }),
        signal: AbortSignal.timeout(15_000),
        // A connection of its own per write: when nginx reloads (rolling-restart), its old workers
        // close their idle keep-alive connections, and a POST sent on one at that moment is reset
        // before any instance sees it. That race is HTTP keep-alive's, not the instances'.
        keepalive: false,
      })
      await res.arrayBuffer()
      outcome.status = res.status
    } catch (err) {
      outcome.status = 'no-answer'
      outcome.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
      outcome.atMs = Math.round(performance.now() - t0)
    }
  }
  const loop = (async () => {
    while (isRunning) {
      const p = writeOne(n++)
      pending.add(p)
      void p.finally(() => pending.delete(p))
      const wait = t0 + (n * 1000) / opts.perSecond - performance.now()
      if (wait > 0) await Bun.sleep(wait)
    }
  })()
  return {
    outcomes,
    /** Stops writing and waits for every write to have its outcome. */
    async stop(): Promise<WriteOutcome[]> {
      isRunning = false
      await loop
      await Promise.all(pending)
      return outcomes
    },
  }
}
