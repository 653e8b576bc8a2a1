// Scenario parameters from the definitions in load/scenarios.json, derived the same way for the k6
// scripts (which open() the file) and the Bun runner (which imports it): one derivation, no drift.

export interface Params {
  connections: number
  tenants: number
  connectConcurrency: number
  holdSeconds: number
  writesPerSecond: number
  durationSeconds: number
  steps: number[]
  stepSeconds: number
  /** Throughput: seconds at the first step's rate before the ladder, not ranked (0: none). */
  warmupSeconds: number
  restartAfterSeconds: number
  afterRestartSeconds: number
  reconnectSpreadMs: number
  instances: number
  clients: number
  thresholds: Record<string, number>
}

export interface Definitions {
  scenarios: Record<string, Record<string, unknown>>
  ci: Record<string, unknown>
}

const fallback: Params = {
  connections: 1000,
  tenants: 10,
  connectConcurrency: 500,
  holdSeconds: 5,
  writesPerSecond: 20,
  durationSeconds: 10,
  steps: [],
  stepSeconds: 10,
  warmupSeconds: 0,
  restartAfterSeconds: 5,
  afterRestartSeconds: 10,
  reconnectSpreadMs: 3000,
  instances: 1,
  clients: 8,
  thresholds: {},
}

/** The scenario's parameters; `ci` applies the small variant; `overrides` come from a command line. */
export function paramsFrom(
  definitions: Definitions,
  name: string,
  ci: boolean,
  overrides: Partial<Params> = {},
): Params {
  const own = definitions.scenarios[name]
  if (!own) throw new Error(`no scenario "${name}" in scenarios.json`)
  const { description: _d, ...rest } = own
  const { $comment: _c, ...small } = ci ? definitions.ci : {}
  const p = { ...fallback, ...rest, ...small, ...overrides } as Params
  // The small variant keeps the scenario's shape: fewer steps, shorter ones.
  if (ci && p.steps.length > 0) {
    p.steps = p.steps.slice(0, 2).map((s) => Math.max(10, Math.round(s / 10)))
    p.stepSeconds = 5
  }
  return p
}
