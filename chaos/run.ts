// Runs chaos scenarios and prints a verdict table (and JSON). Exits 1 when an invariant broke.
//
//   bun chaos/run.ts <scenario|all> [--short] [--json FILE]      (npm run chaos -- all --short)
//
// Needs DATABASE_URL (an admin URL: each scenario creates and drops its own database), redis-server,
// Debian's nginx and python3. Everything it starts it stops; the shared PostgreSQL is never stopped.
import { writeFileSync } from 'node:fs'
import { asFlags, flagsWithoutValue, parseArgs } from '../src/cli/args.ts'
import { runScenario, type Verdict } from './lib/scenario.ts'
import { scenarios } from './scenarios.ts'

const { positionals, flags, repeated } = parseArgs(process.argv.slice(2))
if (repeated.length > 0) {
  console.error(`${asFlags(repeated)}: given more than once; give each once`)
  process.exit(2)
}
const which = positionals[0] ?? 'all'
const short = flags.get('short') === 'true'
const chosen = which === 'all' ? scenarios : scenarios.filter((s) => s.name === which)
if (chosen.length === 0) {
  console.error(
    `unknown scenario "${which}"; one of: all, ${scenarios.map((s) => s.name).join(', ')}`,
  )
  process.exit(2)
}

// A bare --json would write to a file named "true": the file is required.
if (flagsWithoutValue(flags, ['json']).length > 0) {
  console.error('--json needs a file: --json FILE (the verdicts are printed on stdout too)')
  process.exit(2)
}

const verdicts: Verdict[] = []
for (const def of chosen) {
  console.error(`${def.name}: ${def.description}`)
  const started = performance.now()
  const v = await runScenario(def, short)
  verdicts.push(v)
  console.error(
    `  ${v.passed ? 'passed' : `FAILED: ${v.failures.join('; ')}`} (${Math.round((performance.now() - started) / 1000)} s)`,
  )
}

const run = { date: new Date().toISOString(), short, verdicts }
console.log(JSON.stringify(run))
console.log(table(verdicts))
if (flags.has('json')) writeFileSync(flags.get('json') as string, JSON.stringify(run, null, 2))
process.exit(verdicts.every((v) => v.passed) ? 0 : 1)

function table(vs: Verdict[]): string {
  const rows = [
    '| scenario | events committed | delivered / owed | lost | duplicated | leaked | writes ok / 503 / no answer | half-committed | recovery s | instances up | memory | verdict |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ]
  for (const v of vs) {
    rows.push(
      `| ${v.scenario} | ${v.committed} | ${v.delivery.delivered} / ${v.delivery.owed} | ${v.delivery.lost} | ${v.delivery.duplicated} | ${v.delivery.leaked} | ${v.writes.ok} / ${v.writes.refused} / ${v.writes.noAnswer} | ${v.writes.halfCommitted} | ${v.recoveryS} | ${v.instancesUp} | ${v.memory} | ${v.passed ? 'pass' : 'FAIL'} |`,
    )
  }
  const extras = vs
    .filter((v) => Object.keys(v.figures).length > 0)
    .map(
      (v) =>
        `- ${v.scenario}: ${Object.entries(v.figures)
          .map(([k, x]) => `${k} ${x}`)
          .join('; ')}`,
    )
  return `${rows.join('\n')}\n\n${extras.join('\n')}\n`
}
