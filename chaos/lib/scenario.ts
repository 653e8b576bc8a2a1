// The shape every chaos scenario follows: start a cluster, connect clients, write steadily, inject the
// fault, let it recover, stop writing, wait for every client to catch up, then judge the invariants.

import { percentile } from '../../test/harness/stats.ts'
import { type Client, rawClient, sdkClient } from './clients.ts'
import { type ChaosCluster, startChaosCluster } from './cluster.ts'
import {
  type Delivery,
  deliveryOf,
  isHealthy,
  readLog,
  tenantSeqs,
  type Writes,
  writesOf,
} from './verify.ts'
import { startWriter } from './writer.ts'

export interface Size {
  tenants: number
  usersPerTenant: number
  /** SDK clients and raw clients per user (each). */
  clientsPerUser: number
  writesPerSecond: number
  /** Writes before the fault, and after it has ended. */
  beforeS: number
  afterS: number
  /** How long a fault lasts (outages, hangs). */
  faultS: number
  /** How long clients may take to catch up once writes stop. */
  convergeS: number
}

export interface Context {
  cluster: ChaosCluster
  clients: Client[]
  size: Size
  tenants: string[]
  /** Extra figures the scenario reports. */
  figures: Record<string, number | string>
  /** Extra invariant failures the scenario found. */
  failures: string[]
}

export interface ScenarioDef {
  name: string
  description: string
  instances: number
  env?: Record<string, string>
  /** Bytes of padding per memory (big frames for slow-consumer runs). */
  padding?: number
  size?(short: boolean): Partial<Size>
  /** Injects the fault; resolves once it is over (restored, restarted, …). */
  fault(ctx: Context): Promise<void>
  /** Scenario-specific checks once everything has settled. */
  check?(ctx: Context): Promise<void>
  /**
   * Statuses besides 201 and 503 that this fault may cause (they must still commit nothing half):
   * e.g. 502 from nginx for the requests in flight on an instance killed with -9.
   */
  tolerates?: number[]
  /** Scenario-specific judgement of the writes' answers; returns failures. */
  judgeWrites?(w: Writes): string[]
}

export interface Verdict {
  scenario: string
  committed: number
  writes: Writes
  delivery: Delivery
  /** From the end of the fault until every client had every event committed before it ended. */
  recoveryS: number | 'never'
  instancesUp: string
  memory: string
  figures: Record<string, number | string>
  failures: string[]
  passed: boolean
}

const defaults = (short: boolean): Size => ({
  tenants: short ? 3 : 5,
  usersPerTenant: short ? 3 : 6,
  clientsPerUser: short ? 1 : 4,
  writesPerSecond: short ? 20 : 50,
  beforeS: short ? 2 : 5,
  afterS: short ? 3 : 10,
  faultS: short ? 5 : 10,
  convergeS: short ? 30 : 60,
})

/** Memory may grow this much over its baseline and still count as back to it. */
const MEMORY_SLACK = { ratio: 1.25, mb: 24 }

export async function runScenario(def: ScenarioDef, short: boolean): Promise<Verdict> {
  const size = { ...defaults(short), ...def.size?.(short) }
  const tenants = Array.from({ length: size.tenants }, (_, i) => `chaos-${def.name}-${i}`)
  const users = Array.from({ length: size.usersPerTenant }, (_, i) => `user-${i}`)
  const cluster = await startChaosCluster({
    instances: def.instances,
    ...(def.env ? { env: def.env } : {}),
  })
  const ctx: Context = { cluster, clients: [], size, tenants, figures: {}, failures: [] }
  try {
    const wsUrl = `${cluster.url.replace('http', 'ws')}/api/v4/ws`
    for (const tenant of tenants) {
      for (const user of users) {
        const token = await cluster.token(tenant, user)
        for (let k = 0; k < size.clientsPerUser; k++) {
          ctx.clients.push(
            sdkClient(wsUrl, tenant, user, token),
            rawClient(wsUrl, tenant, user, token),
          )
        }
      }
    }
    await waitFor(
      () => ctx.clients.every((c) => c.startSeq !== undefined),
      60_000,
      'clients subscribed',
    )
    await Bun.sleep(1000)
    await cluster.gc()
    const baseline = cluster.nodes.map((n) => n.server.rss())

    const writer = startWriter({
      url: cluster.url,
      tenants,
      users,
      perSecond: size.writesPerSecond,
      token: cluster.token,
      ...(def.padding ? { padding: def.padding } : {}),
    })
    await Bun.sleep(size.beforeS * 1000)
    await def.fault(ctx)
    const faultEnd = performance.now()
    const snapshot = await tenantSeqs(cluster.sql, tenants)
    // Recovery: every client has every event committed before the fault ended.
    let recoveredAt: number | undefined
    const watch = (async () => {
      const deadline = faultEnd + (size.afterS + size.convergeS) * 1000
      while (recoveredAt === undefined && performance.now() < deadline) {
        const d = deliveryOf(ctx.clients, await readLog(cluster.sql, tenants), snapshot)
        if (d.lost === 0) recoveredAt = performance.now()
        else await Bun.sleep(200)
      }
    })()
    await Bun.sleep(size.afterS * 1000)
    const outcomes = await writer.stop()
    let delivery = deliveryOf(ctx.clients, await readLog(cluster.sql, tenants))
    const deadline = performance.now() + size.convergeS * 1000
    while (delivery.lost > 0 && performance.now() < deadline) {
      await Bun.sleep(500)
      delivery = deliveryOf(ctx.clients, await readLog(cluster.sql, tenants))
    }
    await watch
    await def.check?.(ctx)
    const log = await readLog(cluster.sql, tenants)
    delivery = deliveryOf(ctx.clients, log)
    const writes = await writesOf(cluster.sql, tenants, outcomes)

    const alive = cluster.nodes.filter((n) => !n.isDown)
    const health = await Promise.all(alive.map((n) => isHealthy(n.url)))
    await cluster.gc()
    const growth = cluster.nodes.map((n, i) => {
      if (n.isDown || n.wasRestarted) return undefined
      const now = n.server.rss()
      const base = baseline[i] ?? 0
      return {
        id: n.id,
        base,
        now,
        isBack: now <= base * MEMORY_SLACK.ratio + MEMORY_SLACK.mb * 1048576,
      }
    })
    const failures = [...ctx.failures, ...(def.judgeWrites?.(writes) ?? [])]
    if (delivery.lost > 0) failures.push(`${delivery.lost} owed events never arrived`)
    if (delivery.duplicated > 0) failures.push(`${delivery.duplicated} events received twice`)
    if (delivery.leaked > 0)
      failures.push(`${delivery.leaked} events reached a client not entitled to them`)
    if (writes.acknowledgedNotCommitted > 0)
      failures.push(`${writes.acknowledgedNotCommitted} writes answered 201 are missing`)
    if (writes.halfCommitted > 0) failures.push(`${writes.halfCommitted} half-committed writes`)
    const untolerated = outcomes.filter(
      (o) =>
        typeof o.status === 'number' &&
        o.status !== 201 &&
        o.status !== 503 &&
        !def.tolerates?.includes(o.status),
    ).length
    if (untolerated > 0)
      failures.push(
        `${untolerated} writes got a status other than 201 or 503 (${writes.otherStatuses})`,
      )
    if (health.some((h) => !h)) failures.push('an instance that was not killed is not healthy')
    for (const g of growth)
      if (g && !g.isBack)
        failures.push(`${g.id} memory stayed at ${mb(g.now)} MB (baseline ${mb(g.base)} MB)`)
    const recoveryS =
      recoveredAt === undefined ? 'never' : Math.round((recoveredAt - faultEnd) / 100) / 10
    if (recoveryS === 'never')
      failures.push('clients never caught up with what was committed before the fault ended')
    const latencies = ctx.clients.flatMap((c) => c.latencies)
    return {
      scenario: def.name,
      committed: log.length,
      writes,
      delivery,
      recoveryS,
      instancesUp: `${health.filter(Boolean).length}/${alive.length}`,
      memory:
        growth
          .filter((g) => g !== undefined)
          .map((g) => `${g.id} ${mb(g.base)}→${mb(g.now)} MB`)
          .join(', ') || '—',
      figures: {
        clients: ctx.clients.length,
        'p99 commit→client ms': percentile(latencies, 99),
        ...ctx.figures,
      },
      failures,
      passed: failures.length === 0,
    }
  } finally {
    for (const c of ctx.clients) c.close()
    await cluster.stop()
  }
}

const mb = (bytes: number) => Math.round(bytes / 1048576)

export async function waitFor(ok: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = performance.now() + ms
  while (!ok()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(50)
  }
}
