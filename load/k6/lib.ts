// Shared by the k6 scripts: the scenario definitions (load/scenarios.json, the same file the Bun runner
// reads), HS256 tokens minted from JWT_SECRET, and the write markers every socket checks.
//
// Environment: BASE_URL (default http://127.0.0.1:3000), JWT_SECRET (the deployment's), CI=1 for the
// small variant.
import crypto from 'k6/crypto'
import encoding from 'k6/encoding'
import http from 'k6/http'
import { type Definitions, type Params, paramsFrom } from '../params.ts'

const definitions = JSON.parse(open('../scenarios.json')) as Definitions

export type { Params }
export const params = (name: string): Params => paramsFrom(definitions, name, __ENV.CI === '1')

export const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:3000').replace(/\/$/, '')
export const WS_URL = BASE_URL.replace(/^http/, 'ws')
const SECRET = __ENV.JWT_SECRET || ''

export const tenantId = (t: number) => `load-t${t}`

/** An HS256 JWT for one user of one tenant (the claims PUO Memo reads: sub, tenant_id, exp). */
export function token(tenant: string, user: string): string {
  if (!SECRET) throw new Error('set JWT_SECRET to the deployment secret')
  const now = Math.floor(Date.now() / 1000)
  const header = encoding.b64encode(JSON.stringify({ alg: 'HS256', typ: 'JWT' }), 'rawurl')
  const body = encoding.b64encode(
    JSON.stringify({ sub: user, tenant_id: tenant, iat: now, exp: now + 86_400 }),
    'rawurl',
  )
  const signature = crypto.hmac('sha256', SECRET, `${header}.${body}`, 'base64rawurl')
  return `${header}.${body}.${signature}`
}

/** Creates a team memory carrying the marker `load:<tenant>:<n>:<sent ms>`; returns the status. */
export function write(t: number, n: number, auth: string): number {
  const res = http.post(
    `${BASE_URL}/api/v4/memories`,
    JSON.stringify({ content: `load:${t}:${n}:${Date.now()}`, visibility: 'team' }),
    { headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json' } },
  )
  return res.status
}

export interface Seen {
  tenant: number
  n: number
  sentMs: number
  /** Commit time carried in the event's `timestamp`. */
  commitMs: number
  seq: number
}

/** Reads a memory event frame cheaply; undefined for any other frame. */
export function parseEvent(frame: string): Seen | undefined {
  const i = frame.indexOf('"content":"load:')
  if (i < 0) return undefined
  const start = i + 16
  const [t, n, sent] = frame.slice(start, frame.indexOf('"', start)).split(':')
  const ti = frame.indexOf('"timestamp":"')
  const si = frame.indexOf('"seq":')
  return {
    tenant: Number(t),
    n: Number(n),
    sentMs: Number(sent),
    commitMs: ti >= 0 ? Date.parse(frame.slice(ti + 13, ti + 37)) : Number.NaN,
    seq: si >= 0 ? Number.parseInt(frame.slice(si + 6, si + 20), 10) : 0,
  }
}

export const subscribeFrame = (since?: number) =>
  JSON.stringify({
    id: 's',
    type: 'subscribe',
    data: since ? { channel: 'memories', since } : { channel: 'memories' },
  })
