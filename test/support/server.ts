// Runs the real server (`bun src/main.ts`) as a child process on a free port, for end-to-end tests.
import type { Subprocess } from 'bun'
import { serverLogLines } from './logs.ts'

export interface RunningServer {
  url: string
  proc: Subprocess<'ignore', 'pipe', 'pipe'>
  /** Every stdout line so far (JSON log entries). */
  lines: string[]
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number>
}

const root = new URL('../..', import.meta.url).pathname

/** Every server process a test started; the run's teardown kills any still alive (see test/setup.ts). */
export const spawnedServers = new Set<Subprocess>()

export function runCli(args: string[], env: Record<string, string>) {
  const proc = Bun.spawnSync([process.execPath, 'src/cli/main.ts', ...args], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'error', ...env },
  })
  return { code: proc.exitCode, stdout: proc.stdout.toString(), stderr: proc.stderr.toString() }
}

export async function startServer(
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<RunningServer> {
  const proc = Bun.spawn([process.execPath, '--max-http-header-size=1048576', 'src/main.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', REDIS_URL: '', ...env },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  })
  spawnedServers.add(proc)
  void proc.exited.then(() => spawnedServers.delete(proc))
  const lines: string[] = []
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start:\n${lines.join('\n')}`)),
      timeoutMs,
    )
    ;(async () => {
      const decoder = new TextDecoder()
      let buf = ''
      for await (const chunk of proc.stdout) {
        buf += decoder.decode(chunk, { stream: true })
        let nl = buf.indexOf('\n')
        while (nl >= 0) {
          const line = buf.slice(0, nl)
          buf = buf.slice(nl + 1)
          lines.push(line)
          serverLogLines.push(line)
          const entry = safeJson(line)
          if (entry?.msg === 'listening' && typeof entry.url === 'string') {
            clearTimeout(timer)
            resolve(entry.url)
          }
          nl = buf.indexOf('\n')
        }
      }
      clearTimeout(timer)
      const stderr = await new Response(proc.stderr).text()
      reject(new Error(`server exited with ${await proc.exited}:\n${lines.join('\n')}\n${stderr}`))
    })()
  })
  return {
    url,
    proc,
    lines,
    async stop() {
      proc.kill('SIGTERM')
      return proc.exited
    },
  }
}

function safeJson(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>
  } catch {
    return undefined
  }
}
