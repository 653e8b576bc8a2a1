// (d) reconnect storm: listeners that reconnect after any close and resume with `since`, while a writer
// goes on. Restart the deployment yourself during the run (k6 cannot): e.g. `systemctl restart`, or
// `docker-compose restart api1` — after `restartAfterSeconds`. Reported: reconnects, resume_time
// (close → subscribed again), and lost, duplicated or leaked events.
//   k6 run -e BASE_URL=… -e JWT_SECRET=… load/k6/reconnect.ts
import exec from 'k6/execution'
import { Counter } from 'k6/metrics'
import type { Options } from 'k6/options'
import { params } from './lib.ts'
import { listen } from './listen.ts'
import { listenersScenario, numberedWriter } from './writes.ts'

const p = params('reconnect')
const seconds = p.restartAfterSeconds + p.afterRestartSeconds
const perTenant = Math.floor((p.writesPerSecond * seconds) / p.tenants)
const writeErrors = new Counter('write_errors_during_restart')

export const options: Options = {
  scenarios: {
    listeners: listenersScenario(p.connections, seconds + 90),
    writer: {
      executor: 'constant-arrival-rate',
      rate: p.writesPerSecond,
      timeUnit: '1s',
      duration: `${seconds}s`,
      preAllocatedVUs: 20,
      maxVUs: 200,
      startTime: '5s',
      exec: 'writer',
    },
  },
  thresholds: {
    events_duplicated: [`count<=${p.thresholds.duplicated ?? 0}`],
    events_leaked: [`count<=${p.thresholds.leaked ?? 0}`],
    resume_time: [`max<${(p.thresholds.recoverSeconds ?? 10) * 1000}`],
  },
}

export function listener(): void {
  listen(exec.scenario.iterationInTest, p.tenants, seconds + 20, perTenant, true)
}

// Writes refused while the server restarts are not expected by anyone, yet the listeners count them
// as lost: compare events_lost with write_errors_during_restart.
export const writer = numberedWriter(p.tenants, perTenant, writeErrors)
