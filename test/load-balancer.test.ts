// Debian's nginx in front of two instances, with the repository's nginx snippet: WebSockets upgrade,
// clients spread over instances without sticky sessions, and a client resumes through it after a failure.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { type Cluster, startCluster } from './harness/cluster.ts'
import { freshDatabasesLeft } from './harness/database.ts'
import { nginxPath } from './harness/nginx.ts'
import { redisServerPath } from './harness/redis.ts'
import { freshPostgresUrl } from './support/db.ts'
import { postgresUrl, servicesRequired } from './support/env.ts'
import { follow } from './support/follower.ts'
import { openSocket } from './support/realtime.ts'

const isAvailable =
  postgresUrl !== undefined && redisServerPath !== null && (nginxPath !== null || servicesRequired)

describe.skipIf(!isAvailable)('nginx in front of two instances', () => {
  let cluster: Cluster
  let base: string
  beforeAll(async () => {
    cluster = await startCluster({
      instances: 2,
      database: { url: await freshPostgresUrl(postgresUrl as string) },
      nginx: {},
      env: { EVENT_SYNC_INTERVAL_MS: '500' },
    })
    base = cluster.url
  }, 120_000)
  afterAll(() => cluster?.stop())

  test('WebSockets pass through, land on both instances, and see each other’s writes', async () => {
    const tokens = await Promise.all(['a', 'b', 'c', 'd'].map((u) => cluster.token('lb', u)))
    const sockets = await Promise.all(
      tokens.map((t) => openSocket(`${base.replace('http', 'ws')}/api/v4/ws?token=${t}`)),
    )
    const instances = new Set(sockets.map((s) => s.frames[0]?.data.instanceId))
    expect(instances.size).toBe(2)
    for (const s of sockets) await s.subscribe('memories')
    const res = await fetch(`${base}/api/v4/memories`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens[0]}`, 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'through nginx', visibility: 'team' }),
    })
    expect(res.status).toBe(201)
    for (const s of sockets) {
      const f = await s.waitFor((x) => x.type === 'memory.created')
      expect(f.data.memory.content).toBe('through nginx')
    }
    await Promise.all(sockets.map((s) => s.close()))
  })

  test('an instance dies: clients reconnect through nginx and resume without loss', async () => {
    const follower = follow([base], await cluster.token('lb2', 'reader'), 0)
    await follower.ready
    const writer = await cluster.token('lb2', 'writer')
    const write = (n: number) =>
      fetch(`${base}/api/v4/memories`, {
        method: 'POST',
        headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/json' },
        body: JSON.stringify({ content: `w${n}`, visibility: 'team' }),
      }).then((r) => r.status)
    const statuses: number[] = []
    for (let n = 0; n < 10; n++) statuses.push(await write(n))
    // Kill the instance this client is on, so it must reconnect (to the other one, through nginx).
    const victim = Number((follower.instanceId ?? 'node-0').slice('node-'.length))
    void cluster.kill(victim)
    for (let n = 10; n < 20; n++) statuses.push(await write(n))
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(19)
    const created = statuses.filter((s) => s === 201).length
    for (
      let i = 0;
      i < 100 && follower.frames.filter((f) => f.type === 'memory.created').length < created;
      i++
    )
      await Bun.sleep(100)
    const contents = follower.frames
      .filter((f) => f.type === 'memory.created')
      .map((f) => f.data.memory.content)
    expect(new Set(contents).size).toBe(contents.length)
    expect(contents.length).toBe(created)
    const seqs = follower.frames.map((f) => f.seq as number)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    expect(follower.reconnects).toBeGreaterThan(0)
    follower.stop()
  }, 60_000)
})

describe.skipIf(!isAvailable)('a cluster whose nginx cannot start', () => {
  test('stops the instances and the Redis it started and drops its database', async () => {
    const children = () =>
      new Set(
        Bun.spawnSync(['pgrep', '-P', String(process.pid)])
          .stdout.toString()
          .split('\n'),
      )
    const before = children()
    // worker_connections must be positive: nginx refuses the configuration and exits.
    const started = startCluster({
      instances: 2,
      database: { adminUrl: postgresUrl as string },
      nginx: { workerConnections: -1 },
    })
    await expect(started).rejects.toThrow('nginx exited')
    const left = [...children()].filter((pid) => pid !== '' && !before.has(pid))
    expect(left).toEqual([])
    expect(await freshDatabasesLeft(postgresUrl as string, 'puo_cluster', process.pid)).toEqual([])
  }, 60_000)
})
