// The listening side shared by the fan-out, throughput, cluster and reconnect scripts: one VU holds one
// socket of one tenant's user, counts what arrives, and (when asked) reconnects and resumes with `since`.
import { Counter, Trend } from 'k6/metrics'
import ws from 'k6/ws'
import { parseEvent, subscribeFrame, tenantId, token, WS_URL } from './lib.ts'

export const metrics = {
  received: new Counter('events_received'),
  duplicated: new Counter('events_duplicated'),
  leaked: new Counter('events_leaked'),
  lost: new Counter('events_lost'),
  fromRequest: new Trend('event_latency_request', true),
  fromCommit: new Trend('event_latency_commit', true),
  reconnects: new Counter('reconnects'),
  resumeTime: new Trend('resume_time', true),
  socketErrors: new Counter('socket_errors'),
}

/**
 * Listens for `seconds`; `expectedPerTenant` writes will be made to each tenant (numbered 1…N), so at
 * the end every missing number counts as lost.
 */
export function listen(
  vu: number,
  tenants: number,
  seconds: number,
  expectedPerTenant: number,
  shouldResume: boolean,
): void {
  const tenant = vu % tenants
  const url = `${WS_URL}/api/v4/ws?token=${token(tenantId(tenant), `u${vu}`)}`
  const seen = new Set<number>()
  const end = Date.now() + seconds * 1000
  let lastSeq = 0
  let closedAt = 0
  while (Date.now() < end) {
    ws.connect(url, null, (socket) => {
      socket.on('message', (frame: string) => {
        const e = parseEvent(frame)
        if (e) {
          if (e.tenant !== tenant) return metrics.leaked.add(1)
          if (seen.has(e.n)) return metrics.duplicated.add(1)
          seen.add(e.n)
          lastSeq = Math.max(lastSeq, e.seq)
          metrics.received.add(1)
          const now = Date.now()
          metrics.fromRequest.add(now - e.sentMs)
          if (!Number.isNaN(e.commitMs)) metrics.fromCommit.add(now - e.commitMs)
        } else if (frame.includes('"type":"connected"')) {
          socket.send(subscribeFrame(shouldResume && lastSeq > 0 ? lastSeq : undefined))
        } else if (frame.includes('"type":"subscribed"') && closedAt > 0) {
          metrics.resumeTime.add(Date.now() - closedAt)
          closedAt = 0
        }
      })
      socket.on('error', () => metrics.socketErrors.add(1))
      socket.setTimeout(() => socket.close(), Math.max(0, end - Date.now()))
    })
    if (!shouldResume || Date.now() >= end) break
    closedAt = closedAt || Date.now()
    metrics.reconnects.add(1)
  }
  let lost = 0
  for (let n = 1; n <= expectedPerTenant; n++) if (!seen.has(n)) lost++
  metrics.lost.add(lost)
}
