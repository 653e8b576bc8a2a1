// (b) fan-out: `connections` listeners; team memories created at `writesPerSecond` for `durationSeconds`.
//   k6 run -e BASE_URL=… -e JWT_SECRET=… load/k6/fanout.ts      (-e CI=1 for the small variant)
import { params } from './lib.ts'
import { constantRate, fanoutTest } from './writes.ts'

const p = params('fanout')
const test = fanoutTest(
  p,
  constantRate(p),
  p.writesPerSecond * p.durationSeconds,
  p.durationSeconds,
)
export const options = test.options
export const listener = test.listener
export const writer = test.writer
