// Redis bus: one pub/sub channel per tenant; an instance subscribes only to tenants it serves.
import type { Cluster, Redis } from 'ioredis'
import type { Logger } from '../telemetry/logger.ts'
import type { Bus, Envelope, EnvelopeHandler } from './bus.ts'

export interface RedisBusOptions {
  /** Sends PUBLISH / SPUBLISH. Built by the caller; better without an offline queue (fail fast). */
  publisher: Redis | Cluster
  /** A dedicated connection in subscriber mode (ioredis restores its subscriptions after a reconnect). */
  subscriber: Redis | Cluster
  /** This instance's id: its own envelopes coming back from Redis are dropped (delivered locally already). */
  origin: string
  /** Sharded pub/sub (SPUBLISH/SSUBSCRIBE) for Redis Cluster: a tenant's channel lives on one shard. */
  isSharded: boolean
  log: Logger
  /** Channel name prefix (default "puo"). */
  prefix?: string
}

/**
 * Guarantees: local handlers get every envelope this process publishes, synchronously, even while
 * Redis is down; other instances get it at most once (Redis pub/sub). Gaps are closed by the
 * consumers from the event log, never by this bus.
 */
export function createRedisBus(opts: RedisBusOptions): Bus {
  const { publisher, subscriber, origin, isSharded, log } = opts
  const prefix = opts.prefix ?? 'puo'
  const handlers = new Set<EnvelopeHandler>()
  const watched = new Set<string>()
  const recoverCallbacks: (() => void)[] = []
  // The braces are a Redis Cluster hash tag: the channel's slot depends on the tenant only.
  const channelOf = (tenantId: string) => `${prefix}:ev:{${tenantId}}`

  // Envelopes are serialised as {kind, id, origin, …}, so our own echo is recognisable from its head
  // without parsing a payload that may hold a whole memory.
  const ownHead = `"origin":${JSON.stringify(origin)},`
  const onMessage = (_channel: string, message: string) => {
    if (message.slice(0, 200).includes(ownHead)) return
    let envelope: Envelope
    try {
      envelope = JSON.parse(message) as Envelope
    } catch {
      return log.warn('dropped a malformed bus message')
    }
    if (envelope.origin === origin) return
    for (const h of handlers) h(envelope)
  }
  subscriber.on(isSharded ? 'smessage' : 'message', onMessage)
  // Connection errors are expected during an outage (ioredis reconnects); log them, at most every 10 s.
  let lastErrorLog = 0
  const onError = (err: Error) => {
    if (Date.now() - lastErrorLog < 10_000) return
    lastErrorLog = Date.now()
    log.warn('redis connection error', { err: err.message })
  }
  publisher.on('error', onError)
  subscriber.on('error', onError)

  let hasBeenReady = subscriber.status === 'ready'
  subscriber.on('ready', () => {
    if (hasBeenReady) {
      log.info('bus reconnected')
      for (const cb of recoverCallbacks) cb()
    }
    hasBeenReady = true
  })

  return {
    name: isSharded ? 'redis-sharded' : 'redis',
    async publish(envelope) {
      for (const h of handlers) h(envelope)
      // kind, id and origin lead the message, so receivers can spot their own echo from its head.
      const { kind, id, origin: from, ...rest } = envelope
      const payload = JSON.stringify({ kind, id, origin: from, ...rest })
      const channel = channelOf(envelope.tenant)
      if (isSharded) await publisher.spublish(channel, payload)
      else await publisher.publish(channel, payload)
    },
    subscribe(handler) {
      handlers.add(handler)
      return () => handlers.delete(handler)
    },
    async watch(tenantId) {
      if (watched.has(tenantId)) return
      watched.add(tenantId)
      try {
        if (isSharded) await subscriber.ssubscribe(channelOf(tenantId))
        else await subscriber.subscribe(channelOf(tenantId))
      } catch (err) {
        // ioredis re-sends the subscription when it reconnects; the log covers the meantime.
        log.warn('bus subscribe failed; it is retried on reconnect', { err })
      }
    },
    unwatch(tenantId) {
      if (!watched.delete(tenantId)) return
      const done = isSharded
        ? subscriber.sunsubscribe(channelOf(tenantId))
        : subscriber.unsubscribe(channelOf(tenantId))
      done.catch((err: unknown) => log.warn('bus unsubscribe failed', { err }))
    },
    onRecover(callback) {
      recoverCallbacks.push(callback)
    },
    isHealthy: () => publisher.status === 'ready' && subscriber.status === 'ready',
    async close() {
      handlers.clear()
      await Promise.allSettled([publisher.quit(), subscriber.quit()])
    },
  }
}
