// Debian's nginx in front of given instances, with the repository's snippet (docs/deploy/nginx), on a
// free port: used by the load-balancer test, the cluster load scenario and the chaos scenarios.
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './redis.ts'

/** Debian's nginx (installed by .ci/run), or null. */
export const nginxPath =
  Bun.which('nginx') ??
  (Bun.spawnSync(['test', '-x', '/usr/sbin/nginx']).exitCode === 0 ? '/usr/sbin/nginx' : null)

const snippet = new URL('../../docs/deploy/nginx/puo-memo.conf', import.meta.url).pathname

export interface Nginx {
  /** http://127.0.0.1:<port> */
  url: string
  pid: number
  /** Rewrites the upstream list and reloads (SIGHUP): how an operator takes an instance out. */
  setUpstreams(upstreamUrls: string[]): Promise<void>
  stop(): Promise<void>
}

export async function startNginx(
  upstreamUrls: string[],
  opts: { workerConnections?: number; workers?: number } = {},
): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'puo-nginx-'))
  const port = await freePort()
  // Run as root, nginx's workers run as nobody: they must be able to write request bodies to disk.
  chmodSync(dir, 0o755)
  const kinds = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
  for (const k of kinds) {
    mkdirSync(join(dir, k))
    chmodSync(join(dir, k), 0o777)
  }
  const temp = kinds.map((k) => `${k}_temp_path ${dir}/${k};`).join('\n')
  // A proxied WebSocket holds two descriptors in its worker; stay under the machine's hard limit.
  const workers = opts.workers ?? 1
  const connections = opts.workerConnections ?? 1024
  const fdLimit = Math.min(connections * 2 + 64, 19_000)
  const write = (urls: string[]) =>
    writeFileSync(
      join(dir, 'nginx.conf'),
      config(urls.map((u) => `server ${new URL(u).host} max_fails=1 fail_timeout=2s;`).join('\n')),
    )
  const config = (upstreams: string) => `worker_processes ${workers};
worker_rlimit_nofile ${fdLimit};
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections ${connections}; }
http {
  access_log off;
  ${temp}
  upstream puo_memo { ${upstreams} }
  server { listen 127.0.0.1:${port}; include ${snippet}; }
}`
  write(upstreamUrls)
  const proc = Bun.spawn([nginxPath ?? 'nginx', '-c', join(dir, 'nginx.conf'), '-p', dir], {
    stdout: 'ignore',
    stderr: 'inherit',
  })
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; ; i++) {
    const isUp = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    )
    if (isUp) break
    if (proc.exitCode !== null) throw new Error(`nginx exited with ${proc.exitCode} before serving`)
    if (i > 100) {
      proc.kill('SIGKILL')
      throw new Error('nginx did not come up')
    }
    await Bun.sleep(100)
  }
  return {
    url,
    pid: proc.pid,
    async setUpstreams(urls) {
      write(urls)
      proc.kill('SIGHUP')
      // New workers take over; the old ones finish what they were doing.
      await Bun.sleep(300)
    },
    async stop() {
      proc.kill('SIGTERM')
      await proc.exited
    },
  }
}
