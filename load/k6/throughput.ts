// (c) throughput: the write rate rises step by step (`steps` writes/s, `stepSeconds` each); k6 reports
// the latency and loss over the whole ramp — read deliveries/s per step from events_received over time
// (e.g. --out json), or use the Bun runner, which reports each step.
//   k6 run -e BASE_URL=… -e JWT_SECRET=… load/k6/throughput.ts
import type { Scenario } from 'k6/options'
import { params } from './lib.ts'
import { fanoutTest } from './writes.ts'

const p = params('throughput')
const first = p.steps[0] ?? 100
const ramp: Scenario = {
  executor: 'ramping-arrival-rate',
  startRate: first,
  timeUnit: '1s',
  preAllocatedVUs: 200,
  maxVUs: 2000,
  stages: [
    // warmupSeconds at the first step's rate (scenarios.json; 0: none), then the ladder.
    ...(p.warmupSeconds > 0 ? [{ target: first, duration: `${p.warmupSeconds}s` }] : []),
    ...p.steps.map((rate) => ({ target: rate, duration: `${p.stepSeconds}s` })),
  ],
}
const seconds = p.warmupSeconds + p.steps.length * p.stepSeconds
const total = first * p.warmupSeconds + p.steps.reduce((n, rate) => n + rate * p.stepSeconds, 0)
const test = fanoutTest(p, ramp, total, seconds)
export const options = test.options
export const listener = test.listener
export const writer = test.writer
