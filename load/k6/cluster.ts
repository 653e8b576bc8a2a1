// (e) cluster: the fan-out scenario against several instances behind a load balancer — point BASE_URL
// at the balancer (docker-compose.yml: nginx on :8080); writes and sockets both go through it.
//   k6 run -e BASE_URL=http://127.0.0.1:8080 -e JWT_SECRET=… load/k6/cluster.ts
import { params } from './lib.ts'
import { constantRate, fanoutTest } from './writes.ts'

const p = params('cluster')
const test = fanoutTest(
  p,
  constantRate(p),
  p.writesPerSecond * p.durationSeconds,
  p.durationSeconds,
)
export const options = test.options
export const listener = test.listener
export const writer = test.writer
