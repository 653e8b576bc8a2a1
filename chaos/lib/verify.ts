// The invariants every chaos scenario ends with, checked against the scenario's own database (the
// ground truth): what each client was owed, what it got, what it must never have got; what each
// write's answer promised; which instances must still be up; whether memory came back down.
import type postgres from 'postgres'
import type { Client } from './clients.ts'
import type { WriteOutcome } from './writer.ts'

export interface LoggedEvent {
  id: string
  tenant: string
  seq: number
  owner: string
  visibility: 'team' | 'private'
}

export async function readLog(sql: postgres.Sql, tenants: string[]): Promise<LoggedEvent[]> {
  return sql<LoggedEvent[]>`
    select id::text, tenant_id as tenant, seq::int, owner_id as owner, visibility
    from events where tenant_id in ${sql(tenants)}`
}

const isEntitled = (c: Client, e: LoggedEvent) =>
  e.tenant === c.tenant && (e.visibility === 'team' || e.owner === c.user)

export interface Delivery {
  /** Events owed to clients (after each one's starting point), summed over clients. */
  owed: number
  delivered: number
  lost: number
  /** Received twice by the application (SDK) or on the wire (raw sockets). */
  duplicated: number
  /** Another tenant's event, or another user's private one. */
  leaked: number
}

/** Owed events (optionally only those with seq ≤ upTo per tenant) that clients have not received. */
export function deliveryOf(
  clients: Client[],
  log: LoggedEvent[],
  upTo?: Map<string, number>,
): Delivery {
  const byId = new Map(log.map((e) => [e.id, e]))
  const byTenant = new Map<string, LoggedEvent[]>()
  for (const e of log) byTenant.set(e.tenant, [...(byTenant.get(e.tenant) ?? []), e])
  const d: Delivery = { owed: 0, delivered: 0, lost: 0, duplicated: 0, leaked: 0 }
  for (const c of clients) {
    d.duplicated += c.duplicates
    for (const id of c.received.keys()) {
      const e = byId.get(id)
      if (!e || !isEntitled(c, e)) d.leaked++
    }
    if (c.startSeq === undefined) continue
    for (const e of byTenant.get(c.tenant) ?? []) {
      if (e.seq <= c.startSeq || !isEntitled(c, e)) continue
      if (upTo && e.seq > (upTo.get(e.tenant) ?? 0)) continue
      d.owed++
      if (c.received.has(e.id)) d.delivered++
      else d.lost++
    }
  }
  return d
}

export async function tenantSeqs(
  sql: postgres.Sql,
  tenants: string[],
): Promise<Map<string, number>> {
  const rows = await sql<{ tenant: string; seq: number }[]>`
    select tenant_id as tenant, seq::int from tenant_seqs where tenant_id in ${sql(tenants)}`
  return new Map(rows.map((r) => [r.tenant, r.seq]))
}

export interface Writes {
  attempted: number
  ok: number
  /** Refused cleanly with 503 (database unavailable). */
  refused: number
  /** Any other status. */
  otherStatus: number
  /** Those other statuses, e.g. "502×3". */
  otherStatuses: string
  noAnswer: number
  /** Their errors, e.g. "ECONNRESET: … at 5210 ms". */
  noAnswerErrors: string
  /** Answered 201 but not in the database: a broken promise. */
  acknowledgedNotCommitted: number
  /** A memory without its created event, or the reverse: a half commit. */
  halfCommitted: number
}

export async function writesOf(
  sql: postgres.Sql,
  tenants: string[],
  outcomes: WriteOutcome[],
): Promise<Writes> {
  const rows = await sql<{ n: string }[]>`
    select split_part(substr(content, 7), ' ', 1) as n from memories
    where tenant_id in ${sql(tenants)} and content like 'chaos:%'`
  const committed = new Set(rows.map((r) => Number(r.n)))
  const [half] = await sql<{ n: number }[]>`
    select (
      (select count(*) from memories m where m.tenant_id in ${sql(tenants)} and not exists
        (select 1 from events e where e.memory_id = m.id and e.type = 'memory.created'))
      + (select count(*) from events e where e.tenant_id in ${sql(tenants)}
        and e.type = 'memory.created' and not exists (select 1 from memories m where m.id = e.memory_id))
    )::int as n`
  const w: Writes = {
    attempted: outcomes.length,
    ok: 0,
    refused: 0,
    otherStatus: 0,
    noAnswer: 0,
    noAnswerErrors: '',
    acknowledgedNotCommitted: 0,
    halfCommitted: half?.n ?? 0,
    otherStatuses: '',
  }
  const other = new Map<number, number>()
  for (const o of outcomes) {
    if (o.status === 201) {
      w.ok++
      if (!committed.has(o.n)) w.acknowledgedNotCommitted++
    } else if (o.status === 503) w.refused++
    else if (o.status === 'no-answer') w.noAnswer++
    else {
      w.otherStatus++
      other.set(o.status, (other.get(o.status) ?? 0) + 1)
    }
  }
  w.otherStatuses = [...other].map(([s, n]) => `${s}×${n}`).join(', ')
  w.noAnswerErrors = outcomes
    .filter((o) => o.status === 'no-answer')
    .map((o) => `${o.error ?? 'no error'} at ${o.atMs ?? '?'} ms`)
    .join('; ')
  return w
}

export async function isHealthy(url: string): Promise<boolean> {
  return fetch(`${url}/health`, { signal: AbortSignal.timeout(5000) }).then(
    (r) => r.status === 200,
    () => false,
  )
}
