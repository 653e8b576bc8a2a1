// The hub's per-tenant sequencer against a bus that drops, duplicates and reorders.
import { describe, expect, test } from 'bun:test'
import type { BusEvent } from '../src/bus/bus.ts'
import { createSequencer } from '../src/hub/channels/sequencer.ts'
import { createLogger } from '../src/telemetry/logger.ts'

const ev = (seq: number, tenantId = 't'): BusEvent => ({
  id: `e${seq}`,
  tenantId,
  seq,
  type: 'memory.deleted',
  memoryId: `m${seq}`,
  ownerId: 'o',
  visibility: 'team',
  payload: {},
  createdAt: new Date().toISOString(),
})

function harness(committed: number, gapWaitMs = 10) {
  const log: BusEvent[] = Array.from({ length: committed }, (_, i) => ev(i + 1))
  const emitted: number[] = []
  let reads = 0
  let filled = 0
  const seq = createSequencer({
    log: createLogger('silent'),
    gapWaitMs,
    onFilled: (n) => {
      filled += n
    },
    readLog: async (tenantId, after, limit) => {
      reads++
      return log.filter((e) => e.tenantId === tenantId && e.seq > after).slice(0, limit)
    },
    currentSeqs: async (ids) =>
      new Map(ids.map((id) => [id, log.filter((e) => e.tenantId === id).length])),
    emit: (e) => emitted.push(e.seq),
  })
  return {
    seq,
    emitted,
    reads: () => reads,
    filled: () => filled,
    commit: (n: number) => {
      for (let i = 0; i < n; i++) log.push(ev(log.length + 1))
      return log.at(-1) as BusEvent
    },
    event: (n: number) => log[n - 1] as BusEvent,
  }
}

describe('sequencer', () => {
  test('reports the commit time of the oldest event held back by a gap, and nothing once it closes', async () => {
    const h = harness(0, 60_000)
    await h.seq.watch('t')
    expect(h.seq.oldestPendingAt()).toBeUndefined()
    h.commit(3)
    h.seq.offer(h.event(3))
    h.seq.offer(h.event(2))
    expect(h.emitted).toEqual([])
    expect(h.seq.oldestPendingAt()).toBe(
      Math.min(Date.parse(h.event(2).createdAt), Date.parse(h.event(3).createdAt)),
    )
    h.seq.offer(h.event(1))
    expect(h.emitted).toEqual([1, 2, 3])
    expect(h.seq.oldestPendingAt()).toBeUndefined()
    h.seq.unwatch('t')
  })

  test('starts after what is already committed, emits in order, drops duplicates without reading the log', async () => {
    const h = harness(3)
    expect(await h.seq.watch('t')).toBe(3)
    h.commit(3)
    for (const n of [4, 5, 5, 4, 6, 2]) h.seq.offer(h.event(n))
    expect(h.emitted).toEqual([4, 5, 6])
    expect(h.reads()).toBe(0)
  })

  test('holds a reordered event until the gap closes from the bus', async () => {
    const h = harness(0, 1000)
    await h.seq.watch('t')
    h.commit(3)
    h.seq.offer(h.event(2))
    h.seq.offer(h.event(3))
    expect(h.emitted).toEqual([])
    h.seq.offer(h.event(1))
    expect(h.emitted).toEqual([1, 2, 3])
    expect(h.reads()).toBe(0)
  })

  test('fills a gap the bus never closes from the log', async () => {
    const h = harness(0)
    await h.seq.watch('t')
    h.commit(5)
    h.seq.offer(h.event(5)) // 1..4 were dropped by the bus
    await Bun.sleep(50)
    expect(h.emitted).toEqual([1, 2, 3, 4, 5])
    expect(h.filled()).toBe(4)
  })

  test('anti-entropy delivers a lost tail that no later event revealed', async () => {
    const h = harness(0)
    await h.seq.watch('t')
    h.commit(2) // committed, never published (writer died between commit and publish)
    expect(h.emitted).toEqual([])
    await h.seq.syncAll()
    expect(h.emitted).toEqual([1, 2])
  })

  test('events of unwatched tenants are ignored; watching is reference-counted', async () => {
    const h = harness(0)
    h.seq.offer(ev(1, 'other'))
    await h.seq.watch('t')
    await h.seq.watch('t')
    h.seq.unwatch('t')
    h.seq.offer(h.commit(1))
    expect(h.emitted).toEqual([1])
    h.seq.unwatch('t')
    h.seq.offer(h.commit(1))
    expect(h.emitted).toEqual([1])
    expect(h.seq.watchedTenants()).toEqual([])
  })
})
