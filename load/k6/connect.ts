// (a) connect: ramp to `connections` sockets (tenants × users), each subscribed, held idle.
//   k6 run -e BASE_URL=… -e JWT_SECRET=… load/k6/connect.ts      (-e CI=1 for the small variant)
// Memory per idle connection is read on the server (RSS before/after); the Bun runner does it for you.
import exec from 'k6/execution'
import { Counter, Trend } from 'k6/metrics'
import type { Options } from 'k6/options'
import ws from 'k6/ws'
import { params, subscribeFrame, tenantId, token, WS_URL } from './lib.ts'

const p = params('connect')
const connectErrors = new Counter('connect_errors')
const subscribeTime = new Trend('subscribe_time', true)

export const options: Options = {
  scenarios: {
    connect: {
      executor: 'per-vu-iterations',
      vus: p.connections,
      iterations: 1,
      maxDuration: `${p.holdSeconds + 120}s`,
    },
  },
  thresholds: { connect_errors: [`count<=${p.thresholds.errors ?? 0}`] },
}

export default function (): void {
  const vu = exec.scenario.iterationInTest
  const t0 = Date.now()
  let subscribed = false
  const res = ws.connect(
    `${WS_URL}/api/v4/ws?token=${token(tenantId(vu % p.tenants), `u${vu}`)}`,
    null,
    (socket) => {
      socket.on('message', (frame: string) => {
        if (frame.includes('"type":"connected"')) socket.send(subscribeFrame())
        else if (frame.includes('"type":"subscribed"')) {
          subscribed = true
          subscribeTime.add(Date.now() - t0)
          socket.setTimeout(() => socket.close(), p.holdSeconds * 1000)
        }
      })
      socket.on('error', () => connectErrors.add(1))
    },
  )
  if (res?.status !== 101 || !subscribed) connectErrors.add(1)
}
