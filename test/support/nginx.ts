// Debian's nginx in front of given instances, with the repository's snippet (docs/deploy/nginx), on a
// free port: used by the load-balancer test, the cluster load scenario and the chaos scenarios.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { nginxPath } from './env.ts'
import { freePort } from './redis.ts'

const snippet = new URL('../../docs/deploy/nginx/puo-memo.conf', import.meta.url).pathname

export interface Nginx {
  /** http://127.0.0.1:<port> */
  url: string
  pid: number
  stop(): Promise<void>
}

export async function startNginx(
  upstreamUrls: string[],
  opts: { workerConnections?: number } = {},
): Promise<Nginx> {
  const dir = mkdtempSync(join(tmpdir(), 'puo-nginx-'))
  const port = await freePort()
  const upstreams = upstreamUrls
    .map((u) => `server ${new URL(u).host} max_fails=1 fail_timeout=2s;`)
    .join('\n')
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((k) => `${k}_temp_path ${dir}/${k};`)
    .join('\n')
  const connections = opts.workerConnections ?? 1024
  writeFileSync(
    join(dir, 'nginx.conf'),
    `worker_processes 1;
worker_rlimit_nofile ${connections * 2 + 64};
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections ${connections}; }
http {
  access_log off;
  ${temp}
  upstream puo_memo { ${upstreams} }
  server { listen 127.0.0.1:${port}; include ${snippet}; }
}`,
  )
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
    if (i > 100) throw new Error('nginx did not come up')
    await Bun.sleep(100)
  }
  return {
    url,
    pid: proc.pid,
    async stop() {
      proc.kill('SIGTERM')
      await proc.exited
    },
  }
}
