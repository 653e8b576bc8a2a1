// Runs the CLI (`bun src/cli/main.ts`) and the other scripts to completion, for end-to-end tests.

const root = new URL('../..', import.meta.url).pathname

/** A command line's words (none of them holding a space). */
export const words = (line: string): string[] => line.split(' ')

export const runCli = (args: string[], env: Record<string, string>) =>
  runScript('src/cli/main.ts', args, env)

/** Runs one of the project's scripts (the CLI, `load/run.ts`, `chaos/run.ts`) to completion. */
export function runScript(script: string, args: string[], env: Record<string, string> = {}) {
  const proc = Bun.spawnSync([process.execPath, script, ...args], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'error', ...env },
  })
  return { code: proc.exitCode, stdout: proc.stdout.toString(), stderr: proc.stderr.toString() }
}
