// (f) REST: `clients` virtual users create memories, then read them back by id.
//   k6 run -e BASE_URL=… -e JWT_SECRET=… load/k6/rest.ts
import { check } from 'k6'
import exec from 'k6/execution'
import http from 'k6/http'
import type { Options } from 'k6/options'
import { BASE_URL, params, token } from './lib.ts'

const p = params('rest')
const created: string[] = []

export const options: Options = {
  scenarios: {
    create: {
      executor: 'constant-vus',
      vus: p.clients,
      duration: `${p.durationSeconds}s`,
      exec: 'create',
    },
    read: {
      executor: 'constant-vus',
      vus: p.clients,
      duration: `${p.durationSeconds}s`,
      startTime: `${p.durationSeconds}s`,
      exec: 'read',
    },
  },
  thresholds: {
    http_req_failed: [`rate<=${p.thresholds.errors ?? 0}`],
    'http_req_duration{scenario:create}': ['p(99)<1000'],
    'http_req_duration{scenario:read}': ['p(99)<1000'],
  },
}

const auth = () => ({
  authorization: `Bearer ${token(`rest-${exec.vu.idInTest % 4}`, `u${exec.vu.idInTest}`)}`,
  'content-type': 'application/json',
})

export function create(): void {
  const res = http.post(
    `${BASE_URL}/api/v4/memories`,
    JSON.stringify({
      content: `rest ${exec.vu.idInTest} about release planning`,
      visibility: 'team',
    }),
    { headers: auth() },
  )
  check(res, { created: (r) => r.status === 201 })
  const id = (res.json() as { id?: string } | null)?.id
  if (id) created.push(id)
}

export function read(): void {
  // VUs share nothing: a VU that created nothing yet creates one memory to read.
  if (created.length === 0) create()
  const id = created[exec.vu.iterationInScenario % created.length]
  if (!id) return
  const res = http.get(`${BASE_URL}/api/v4/memories/${id}`, { headers: auth() })
  check(res, { read: (r) => r.status === 200 })
}
