// Preloaded by bun test: once every file has finished, stops leftover servers, closes shared databases
// and fails the run if any log line of the whole run (server processes and in-process apps) holds a
// credential or a canary string a test wrote into a memory, or if a frame a test socket received broke
// the wire contract (support/contract.ts).
import { afterAll } from 'bun:test'
import { spawned } from './harness/process.ts'
import { lineObservers } from './harness/server.ts'
import { contractViolations } from './support/contract.ts'
import { closeTestDatabases } from './support/db.ts'
import { CANARY_PREFIX, serverLogLines } from './support/logs.ts'

/** Shapes of credentials, independent of the logger's own scrubber: a JWT, an API key, ?token=. */
const CREDENTIALS = [
  /eyJ[\w-]{8,}\.eyJ[\w-]{8,}\./,
  /pm_[a-z0-9]{8}_[\w-]{20,}/,
  /[?&]token=(?!\[redacted\])[^&"\s]+/,
]

lineObservers.push((line) => serverLogLines.push(line))

afterAll(async () => {
  // A test that failed half-way may have left server processes behind: none outlives the run.
  for (const proc of spawned) proc.kill('SIGKILL')
  await closeTestDatabases()
  const leaks = serverLogLines.filter(
    (line) => line.includes(CANARY_PREFIX) || CREDENTIALS.some((re) => re.test(line)),
  )
  if (contractViolations.length > 0) {
    throw new Error(
      `${contractViolations.length} frames broke the wire contract, e.g.:\n${contractViolations.slice(0, 3).join('\n')}`,
    )
  }
  if (leaks.length > 0) {
    throw new Error(
      `credentials or canaries in ${leaks.length} server log lines, e.g.:\n${leaks.slice(0, 3).join('\n')}`,
    )
  }
})
