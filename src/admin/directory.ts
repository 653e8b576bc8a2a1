// Where instances leave their latest snapshot for the admin view of every instance: in this process
// (one instance, no Redis) or in one Redis hash shared by the cluster.
import type { Cluster, Redis } from 'ioredis'
import type { InstanceSnapshot } from './snapshot.ts'

export interface InstanceDirectory {
  /** Records this instance's latest snapshot. */
  publish(snapshot: InstanceSnapshot): Promise<void>
  /** The latest snapshot of every instance heard from within `freshMs` (this one included). */
  list(freshMs: number): Promise<InstanceSnapshot[]>
}

export function createLocalDirectory(): InstanceDirectory {
  let latest: InstanceSnapshot | undefined
  return {
    async publish(snapshot) {
      latest = snapshot
    },
    async list() {
      return latest ? [latest] : []
    },
  }
}

/** One hash (one key, so it lives on one shard in cluster mode): field = instance id, value = JSON. */
const KEY = 'puo:admin:instances'

export function createRedisDirectory(redis: Redis | Cluster): InstanceDirectory {
  return {
    async publish(snapshot) {
      await redis.hset(KEY, snapshot.instanceId, JSON.stringify(snapshot))
    },
    async list(freshMs) {
      const all = await redis.hgetall(KEY)
      const out: InstanceSnapshot[] = []
      const stale: string[] = []
      for (const [id, json] of Object.entries(all)) {
        const s = JSON.parse(json) as InstanceSnapshot
        if (Date.now() - Date.parse(s.at) <= freshMs) out.push(s)
        // Long gone (stopped or dead): forget it, so the hash does not grow with every restart.
        else if (Date.now() - Date.parse(s.at) > 10 * freshMs) stale.push(id)
      }
      if (stale.length > 0) await redis.hdel(KEY, ...stale)
      return out.sort((a, b) => a.instanceId.localeCompare(b.instanceId))
    },
  }
}
