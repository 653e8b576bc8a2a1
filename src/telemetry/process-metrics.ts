// The process as an operator sees it: resident memory, CPU time, JS heap and collections, event-loop
// lag and open file descriptors, read when metrics are collected (lag is measured by a timer between collections).
import { readdirSync } from 'node:fs'
import type { Meter } from '@opentelemetry/api'

/** How often the event loop's lag is sampled: a timer due every LAG_SAMPLE_MS, measured late by how much. */
const LAG_SAMPLE_MS = 250

export function observeProcess(meter: Meter): () => void {
  let worstLagMs = 0
  let due = performance.now() + LAG_SAMPLE_MS
  const sampler = setInterval(() => {
    const now = performance.now()
    worstLagMs = Math.max(worstLagMs, now - due)
    due = now + LAG_SAMPLE_MS
  }, LAG_SAMPLE_MS)
  sampler.unref?.()

  meter
    .createObservableGauge('process.memory.usage', {
      description: 'Resident set size of the process',
      unit: 'By',
    })
    .addCallback((r) => r.observe(process.memoryUsage.rss()))
  meter
    .createObservableGauge('puo.js.heap.used', {
      description: 'JavaScript heap in use and its capacity',
      unit: 'By',
    })
    .addCallback((r) => {
      const mem = process.memoryUsage()
      r.observe(mem.heapUsed, { state: 'used' })
      r.observe(mem.heapTotal, { state: 'capacity' })
    })
  meter
    .createObservableCounter('process.cpu.time', {
      description: 'CPU time used by the process, by mode',
      unit: 's',
    })
    .addCallback((r) => {
      const cpu = process.cpuUsage()
      r.observe(cpu.user / 1e6, { 'cpu.mode': 'user' })
      r.observe(cpu.system / 1e6, { 'cpu.mode': 'system' })
    })
  // The runtime reports no GC events: a collection is noticed when it reclaims a sentinel object (a
  // new one is planted each time), so this counts the collections that swept young objects.
  let collections = 0
  const sentinels = new FinalizationRegistry<void>(() => {
    collections++
    plant()
  })
  const plant = () => sentinels.register({}, undefined)
  plant()
  meter
    .createObservableCounter('puo.js.gc.collections', {
      description: 'Garbage collections noticed (each reclaimed a freshly planted sentinel object)',
      unit: '{collection}',
    })
    .addCallback((r) => r.observe(collections))
  meter
    .createObservableGauge('puo.event_loop.lag', {
      description: `Worst delay of a timer since the last collection (sampled every ${LAG_SAMPLE_MS} ms)`,
      unit: 'ms',
    })
    .addCallback((r) => {
      r.observe(Math.max(0, worstLagMs))
      worstLagMs = 0
    })
  meter
    .createObservableGauge('process.open_file_descriptors', {
      description: 'File descriptors the process holds open (sockets included)',
      unit: '{file_descriptor}',
    })
    .addCallback((r) => {
      const n = openDescriptors()
      if (n !== undefined) r.observe(n)
    })
  return () => clearInterval(sampler)
}

/** Open descriptors, where the system lists them (/proc on Linux); undefined elsewhere. */
function openDescriptors(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length
  } catch {
    return undefined
  }
}
