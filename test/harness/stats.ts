// Percentiles of latency samples, for load runs and chaos scenarios alike.

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return 0
  const sorted = [...xs].sort((a, b) => a - b)
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return Math.round((sorted[i] as number) * 100) / 100
}

export function summary(xs: number[]) {
  return {
    count: xs.length,
    p50: percentile(xs, 50),
    p95: percentile(xs, 95),
    p99: percentile(xs, 99),
    max: percentile(xs, 100),
  }
}
