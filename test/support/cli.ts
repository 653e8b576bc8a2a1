// Runs the CLI (`bun src/cli/main.ts`) to completion, for end-to-end tests.

const root = new URL('../..', import.meta.url).pathname

/** A command line's words (none of them holding a space). */
export const words = (line: string): string[] => line.split(' ')

export function runCli(args: string[], env: Record<string, string>) {
  const proc = Bun.spawnSync([process.execPath, 'src/cli/main.ts', ...args], {
    cwd: root,
    env: { ...process.env, LOG_LEVEL: 'error', ...env },
  })
  return { code: proc.exitCode, stdout: proc.stdout.toString(), stderr: proc.stderr.toString() }
}
