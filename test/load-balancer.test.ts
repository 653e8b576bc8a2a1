// Debian's nginx in front of two instances, with the repository's nginx snippet: WebSockets upgrade,
// clients spread over instances without sticky sessions, and a client resumes through it after a failure.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { startCluster, type TestCluster } from './support/cluster.ts'
import { freshPostgresUrl } from './support/db.ts'
import { nginxPath, postgresUrl, servicesRequired } from './support/env.ts'
import { follow } from './support/follower.ts'
import { openSocket } from './support/realtime.ts'
import { freePort, type PrivateRedis, redisServerPath, startPrivateRedis } from './support/redis.ts'

const snippet = new URL('../docs/deploy/nginx/puo-memo.conf', import.meta.url).pathname
const isAvailable =
  postgresUrl !== undefined && redisServerPath !== null && (nginxPath !== null || servicesRequired)

describe.skipIf(!isAvailable)('nginx in front of two instances', () => {
  let redis: PrivateRedis
  let cluster: TestCluster
  let nginx: Subprocess
  let base: string
  beforeAll(async () => {
    redis = await startPrivateRedis()
    cluster = await startCluster(2, {
      databaseUrl: await freshPostgresUrl(postgresUrl as string),
      redisUrl: redis.url,
    })
    const dir = mkdtempSync(join(tmpdir(), 'puo-nginx-'))
    const port = await freePort()
    const upstreams = cluster.urls
      .map((u) => `server ${new URL(u).host} max_fails=1 fail_timeout=2s;`)
      .join('\n')
    const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
      .map((k) => `${k}_temp_path ${dir}/${k};`)
      .join('\n')
    writeFileSync(
      join(dir, 'nginx.conf'),
      `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  ${temp}
  upstream puo_memo { ${upstreams} }
  server { listen 127.0.0.1:${port}; include ${snippet}; }
}`,
    )
    nginx = Bun.spawn([nginxPath ?? 'nginx', '-c', join(dir, 'nginx.conf'), '-p', dir], {
      stdout: 'ignore',
      stderr: 'inherit',
    })
    base = `http://127.0.0.1:${port}`
    for (let i = 0; i < 50; i++) {
      if (
        await fetch(`${base}/health`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break
      await Bun.sleep(100)
    }
  }, 120_000)
  afterAll(async () => {
    nginx?.kill('SIGTERM')
    await nginx?.exited
    await cluster?.stop()
    await redis?.stop()
  })

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
    cluster.servers[victim]?.proc.kill('SIGKILL')
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
