// Reconnect delays: exponential backoff with full jitter, so clients do not return in lockstep.

export interface BackoffOptions {
  /** First ceiling, in ms (default 500). */
  minMs?: number
  /** Largest ceiling, in ms (default 30,000). */
  maxMs?: number
  /** Growth of the ceiling per attempt (default 2). */
  factor?: number
}

/** Attempt 0, 1, 2 … → a uniformly random delay in [0, min(max, min·factor^attempt)]. */
export function backoffDelay(
  attempt: number,
  opts: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const min = opts.minMs ?? 500
  const max = opts.maxMs ?? 30_000
  const ceiling = Math.min(max, min * (opts.factor ?? 2) ** attempt)
  return Math.floor(random() * ceiling)
}
