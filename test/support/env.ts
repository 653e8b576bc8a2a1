// Which external services the tests may use, and whether their absence fails the run (CI) or skips.

/** Set by CI: a service-backed suite that cannot reach its service fails instead of skipping. */
export const servicesRequired = process.env.PUO_TEST_REQUIRE_SERVICES === '1'

/** Admin URL of a PostgreSQL server; each run creates and drops its own database there. */
export const postgresUrl = process.env.DATABASE_URL

if (servicesRequired && !postgresUrl) {
  throw new Error(
    'PUO_TEST_REQUIRE_SERVICES=1 but DATABASE_URL is not set: PostgreSQL suites would be skipped',
  )
}

/** Debian's python3 (it has python3-websockets when installed; a pyenv python3 on PATH may not). */
export const debianPython = '/usr/bin/python3'
export const hasPythonWebsockets =
  Bun.spawnSync([debianPython, '-c', 'import websockets'], { stderr: 'ignore' }).exitCode === 0
export const chromiumPath = '/usr/bin/chromium'
/** Flags for Debian's chromium on these machines: headless, no sandbox (root), nothing that calls out. */
export const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]
export const hasChromium = Bun.spawnSync(['test', '-x', chromiumPath]).exitCode === 0
export const nodePath = Bun.which('node')
/** Debian's prometheus (scrape test) and its promtool (exposition lint). */
export const prometheusPath = Bun.which('prometheus') ?? null
export const promtoolPath = Bun.which('promtool') ?? null
