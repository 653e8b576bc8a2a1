// (b) fan-out: `connections` listeners; team memories created at `writesPerSecond` for `durationSeconds`.
// (e) cluster: the same against several instances behind a load balancer (-e SCENARIO=cluster, with
// BASE_URL at the balancer: docker-compose.yml's nginx on :8080); writes and sockets both go through it.
//   k6 run -e BASE_URL=… -e JWT_SECRET=… load/k6/fanout.ts      (-e CI=1 for the small variant)
//   k6 run -e SCENARIO=cluster -e BASE_URL=http://127.0.0.1:8080 -e JWT_SECRET=… load/k6/fanout.ts
import { params } from './lib.ts'
import { constantRate, fanoutTest } from './writes.ts'

const p = params(__ENV.SCENARIO === 'cluster' ? 'cluster' : 'fanout')
const test = fanoutTest(
  p,
  constantRate(p),
  p.writesPerSecond * p.durationSeconds,
  p.durationSeconds,
)
export const options = test.options
export const listener = test.listener
export const writer = test.writer
