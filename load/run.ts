// The Bun load runner: the k6 scenarios (load/k6/) on machines without k6, from the same definitions
// (load/scenarios.json). Prints each outcome as JSON and as Markdown; exits 1 when an invariant
// (loss, duplicates, leaks, errors) breaks, and also when a benchmark target is missed with --strict.
//
//   bun load/run.ts <connect|fanout|throughput|reconnect|cluster|rest> [options]
//     --targets puo,raw-bun,socketio   side by side in one run (default puo; ratios are printed)
//     --db pglite|postgres             PUO Memo's database (postgres needs DATABASE_URL, an admin URL)
//     --ci                             the small variant (≈ 500 connections, 10 s)
//     --connections N --tenants N --rate N --duration S --hold S   override the definitions
//     --warmup S                       throughput: the first step's rate for S s first, not ranked
//     --steps 100,200,400              throughput: the ladder of write rates (rising), instead of the definitions'
//     --server-cpus 0 --runner-cpus 1  pin the server(s) and this runner with taskset
//     --env K=V,K=V                    extra PUO Memo server settings
//     --server-flags="--cpu-prof-md --cpu-prof-dir=DIR"   runtime flags for PUO Memo (profiling; with =)
//     --otlp-sink                      export traces and metrics to a local sink that accepts them all
//     --json FILE                      also write the outcomes there
import { writeFileSync } from 'node:fs'
import { asFlags, flagsWithoutValue, parseArgs } from '../src/cli/args.ts'
import { fdLimitOf } from '../test/harness/process.ts'
import { comparison, markdown, type Outcome } from './lib/report.ts'
import {
  descriptionOf,
  type Params,
  paramsOf,
  type ScenarioName,
  scenarioNames,
} from './lib/scenario.ts'
import { startBenchServer } from './lib/server.ts'
import { startPuoCluster, startTarget, type TargetName } from './lib/targets.ts'
import { connect } from './scenarios/connect.ts'
import { fanout } from './scenarios/fanout.ts'
import { reconnect } from './scenarios/reconnect.ts'
import { rest } from './scenarios/rest.ts'
import { throughput } from './scenarios/throughput.ts'

const { positionals, flags, repeated } = parseArgs(process.argv.slice(2))
if (repeated.length > 0) {
  console.error(
    `${asFlags(repeated)}: given more than once; give each flag once (--env takes K=V,K=V)`,
  )
  process.exit(2)
}
const name = positionals[0] as ScenarioName
if (!scenarioNames.includes(name)) {
  console.error(`usage: bun load/run.ts <${scenarioNames.join('|')}> [options]`)
  process.exit(2)
}
// A flag that takes a value, given none, parses as "true": --json would write to a file named
// "true", --server-flags would start a server on a script named "true". Refused instead.
const valueless = flagsWithoutValue(flags, [
  'json',
  'targets',
  'db',
  'connections',
  'tenants',
  'rate',
  'duration',
  'hold',
  'warmup',
  'steps',
  'server-cpus',
  'runner-cpus',
  'env',
  'server-flags',
])
if (valueless.length > 0) {
  console.error(
    `${asFlags(valueless)}: no value given. Write --name VALUE, or --name=VALUE for a value that starts with -- (--server-flags="--cpu-prof-md")`,
  )
  process.exit(2)
}
/**
 * A positive rate or duration, or with `isCount` a whole count, from the command line. Anything else
 * stops the run (exit 2).
 */
function num(k: string, isCount = false): number | undefined {
  if (!flags.has(k)) return undefined
  const n = Number(flags.get(k))
  if (n > 0 && (isCount ? Number.isSafeInteger(n) : Number.isFinite(n))) return n
  console.error(`--${k} ${flags.get(k)}: not a positive ${isCount ? 'whole number' : 'number'}`)
  process.exit(2)
}
const overrides: Partial<Params> = Object.fromEntries(
  Object.entries({
    connections: num('connections', true),
    tenants: num('tenants', true),
    writesPerSecond: num('rate'),
    durationSeconds: num('duration'),
    holdSeconds: num('hold'),
    warmupSeconds: num('warmup'),
  }).filter(([, v]) => v !== undefined),
)
const p = paramsOf(name, flags.get('ci') === 'true', overrides)
for (const k of ['warmup', 'steps']) {
  if (flags.has(k) && p.steps.length === 0) {
    console.error(`--${k}: the ${name} scenario has no steps (throughput has)`)
    process.exit(2)
  }
}
if (flags.has('steps')) p.steps = ladder(flags.get('steps') as string)

/** Write rates from `--steps`, each positive and above the one before (a rate's figures are named by it). */
function ladder(text: string): number[] {
  const rates = text.split(',').map(Number)
  // The first rate is compared with 0, each later one with the rate before it.
  if (rates.every((r, i) => Number.isFinite(r) && r > (rates[i - 1] ?? 0))) return rates
  console.error(`--steps ${text}: not a rising list of positive rates (e.g. 100,200,400)`)
  process.exit(2)
}
const db = flags.get('db') === 'postgres' ? 'postgres' : 'pglite'
const serverCpus = flags.get('server-cpus')
const runnerCpus = flags.get('runner-cpus')
if (runnerCpus) Bun.spawnSync(['taskset', '-pc', runnerCpus, String(process.pid)])
const env: Record<string, string> = Object.fromEntries(
  (flags.get('env') ?? '')
    .split(',')
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
)
// The load generator holds one socket per connection, the server as many: both need the descriptors.
env.WEBSOCKET_MAX_CONNECTIONS ??= String(Math.max(10_000, p.connections))
env.WEBSOCKET_MAX_CONNECTIONS_PER_TENANT ??= String(Math.max(5000, p.connections))
if (name === 'reconnect') env.SHUTDOWN_RECONNECT_SPREAD_MS ??= String(p.reconnectSpreadMs)
// A collector stand-in that accepts every OTLP push, so telemetry costs what it costs in production.
const sink =
  flags.get('otlp-sink') === 'true'
    ? Bun.serve({
        hostname: '127.0.0.1',
        port: 0,
        async fetch(req) {
          await req.arrayBuffer()
          return Response.json({})
        },
      })
    : undefined
if (sink) env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${sink.port}`
const targets = (flags.get('targets') ?? 'puo').split(',') as TargetName[]
const serverFlags = (flags.get('server-flags') ?? '').split(' ').filter(Boolean)
const opts = { db, env, flags: serverFlags, ...(serverCpus ? { cpus: serverCpus } : {}) } as const

console.error(`${name}: ${descriptionOf(name)}`)
console.error(`runner: file-descriptor limit ${fdLimitOf('self')}, pid ${process.pid}`)
const outcomes: Outcome[] = []
for (const t of name === 'reconnect' || name === 'rest' || name === 'cluster'
  ? ['puo' as const]
  : targets) {
  if (name === 'rest') {
    const server = await startBenchServer(opts)
    try {
      outcomes.push(await rest(p, server, db))
    } finally {
      await server.stop()
    }
    continue
  }
  const target =
    name === 'cluster' ? await startPuoCluster(p.instances, opts) : await startTarget(t, opts)
  try {
    if (name === 'connect') outcomes.push(await connect(p, target))
    else if (name === 'fanout') outcomes.push(await fanout(p, target))
    else if (name === 'cluster') outcomes.push(await fanout(p, target, 'cluster'))
    else if (name === 'throughput') outcomes.push(await throughput(p, target))
    else if (name === 'reconnect') outcomes.push(await reconnect(p, target))
  } finally {
    await target.stop()
  }
}

const run = {
  date: new Date().toISOString(),
  scenario: name,
  params: p,
  pinning: { server: serverCpus ?? 'any', runner: runnerCpus ?? 'any' },
  outcomes,
}
sink?.stop(true)
console.log(JSON.stringify(run))
console.log(markdown(outcomes))
const ratioFigures = Object.keys(outcomes[0]?.figures ?? {}).filter((f) =>
  /per s|KB|ms|µs|deliveries/.test(f),
)
const side = comparison(outcomes, ratioFigures)
if (side) console.log(`${side}\n`)
if (flags.has('json')) writeFileSync(flags.get('json') as string, JSON.stringify(run, null, 2))
const broken = outcomes.flatMap((o) => o.checks).filter((c) => !c.isMet)
const fatal = broken.filter((c) => c.kind === 'invariant' || flags.get('strict') === 'true')
for (const c of broken)
  console.error(`${c.kind} missed: ${c.name} ${c.target}, measured ${c.measured}`)
process.exit(fatal.length > 0 ? 1 : 0)
