// A token bucket per connection: `burst` messages at once, refilled at `perSecond`.

export interface TokenBucket {
  tokens: number
  updatedAt: number
}

export function newBucket(burst: number, now = performance.now()): TokenBucket {
  return { tokens: burst, updatedAt: now }
}

/** Takes one token if there is one; returns false when the caller is over its rate. */
export function take(
  b: TokenBucket,
  perSecond: number,
  burst: number,
  now = performance.now(),
): boolean {
  b.tokens = Math.min(burst, b.tokens + ((now - b.updatedAt) / 1000) * perSecond)
  b.updatedAt = now
  if (b.tokens < 1) return false
  b.tokens -= 1
  return true
}
