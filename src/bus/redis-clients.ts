// Builds the two Redis connections the bus needs (publisher, subscriber) from REDIS_URL and REDIS_MODE.
import { Cluster, Redis } from 'ioredis'

export interface RedisClients {
  publisher: Redis | Cluster
  subscriber: Redis | Cluster
  isSharded: boolean
}

/**
 * The publisher (also used for presence) queues commands only while (re)connecting and gives up
 * after one retry, so an outage costs a short wait, not unbounded memory: the event log covers what
 * was not published. The subscriber retries for ever and restores its subscriptions.
 */
export function connectRedis(url: string, mode: 'single' | 'cluster'): RedisClients {
  if (mode === 'cluster') {
    const u = new URL(url)
    const seed = [{ host: u.hostname, port: Number(u.port || 6379) }]
    const redisOptions = {
      maxRetriesPerRequest: 1,
      ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    }
    return {
      publisher: new Cluster(seed, { redisOptions }),
      subscriber: new Cluster(seed, { redisOptions, shardedSubscribers: true }),
      isSharded: true,
    }
  }
  return {
    publisher: new Redis(url, { maxRetriesPerRequest: 1 }),
    subscriber: new Redis(url, { maxRetriesPerRequest: null }),
    isSharded: false,
  }
}
