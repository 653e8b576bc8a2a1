// Builds the two Redis connections the bus needs (publisher, subscriber) from REDIS_URL and REDIS_MODE.
import { Cluster, Redis } from 'ioredis'

export interface RedisClients {
  publisher: Redis | Cluster
  subscriber: Redis | Cluster
  isSharded: boolean
}

export function connectRedis(url: string, mode: 'single' | 'cluster'): RedisClients {
  // Publishing fails fast while Redis is away (no offline queue): the event log covers the gap.
  const common = { lazyConnect: false, maxRetriesPerRequest: 1 }
  if (mode === 'cluster') {
    const u = new URL(url)
    const seed = [{ host: u.hostname, port: Number(u.port || 6379) }]
    const redisOptions = { ...(u.password ? { password: decodeURIComponent(u.password) } : {}) }
    return {
      publisher: new Cluster(seed, { redisOptions, enableOfflineQueue: false }),
      subscriber: new Cluster(seed, { redisOptions, shardedSubscribers: true }),
      isSharded: true,
    }
  }
  return {
    publisher: new Redis(url, { ...common, enableOfflineQueue: false }),
    subscriber: new Redis(url, { ...common, maxRetriesPerRequest: null }),
    isSharded: false,
  }
}
