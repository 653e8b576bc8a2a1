// The fan-out family (fan-out, cluster, throughput): listeners on every socket, and a writer whose
// iterations are numbered so that each tenant gets writes 1…N and every listener knows N.
import exec from 'k6/execution'
import { Counter } from 'k6/metrics'
import type { Options, Scenario } from 'k6/options'
import { type Params, tenantId, token, write } from './lib.ts'
import { listen } from './listen.ts'

const WARMUP_S = 10
const writeErrors = new Counter('write_errors')

export function fanoutTest(p: Params, writer: Scenario, totalWrites: number, seconds: number) {
  const perTenant = Math.floor(totalWrites / p.tenants)
  const options: Options = {
    scenarios: {
      listeners: listenersScenario(p.connections, WARMUP_S + seconds + 60),
      writer: { ...writer, startTime: `${WARMUP_S}s`, exec: 'writer' },
    },
    thresholds: {
      events_lost: [`count<=${p.thresholds.lost ?? 0}`],
      events_duplicated: [`count<=${p.thresholds.duplicated ?? 0}`],
      events_leaked: [`count<=${p.thresholds.leaked ?? 0}`],
      write_errors: [`count<=${p.thresholds.errors ?? 0}`],
      event_latency_request: [
        `p(99)<${p.thresholds.p99Ms ?? 50}`,
        ...(p.thresholds.p50Ms ? [`p(50)<${p.thresholds.p50Ms}`] : []),
      ],
    },
  }
  return {
    options,
    listener(): void {
      // One iteration per listener VU: its number in the scenario picks the tenant and the user.
      listen(exec.scenario.iterationInTest, p.tenants, WARMUP_S + seconds + 5, perTenant, false)
    },
    writer: numberedWriter(p.tenants, perTenant, writeErrors),
  }
}

export const constantRate = (p: Params): Scenario => ({
  executor: 'constant-arrival-rate',
  rate: p.writesPerSecond,
  timeUnit: '1s',
  duration: `${p.durationSeconds}s`,
  preAllocatedVUs: 50,
  maxVUs: 500,
})

/**
 * Iteration i writes number ⌊i / tenants⌋ + 1 to tenant i mod tenants; only whole rounds over the
 * tenants are written, so every tenant gets writes 1…perTenant. Non-201 answers count in `errors`.
 */
export function numberedWriter(tenants: number, perTenant: number, errors: Counter) {
  const tokens: string[] = []
  return (): void => {
    const i = exec.scenario.iterationInTest
    if (i >= perTenant * tenants) return
    const t = i % tenants
    tokens[t] ??= token(tenantId(t), 'writer')
    if (write(t, Math.floor(i / tenants) + 1, tokens[t] as string) !== 201) errors.add(1)
  }
}

/** One VU per socket, one long iteration each (`exec: 'listener'`), stopped after `maxSeconds`. */
export const listenersScenario = (connections: number, maxSeconds: number): Scenario => ({
  executor: 'per-vu-iterations',
  vus: connections,
  iterations: 1,
  exec: 'listener',
  maxDuration: `${maxSeconds}s`,
})
