// The short variant of every chaos scenario, as CI runs it: each starts its own cluster (instances
// behind nginx, a private Redis, a database of its own behind a proxy), injects its fault, and fails
// when an invariant breaks — loss, duplicates, leaks, half commits, unclean refusals, instances down,
// memory not coming back.
import { describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Verdict } from '../chaos/lib/scenario.ts'
import { scenarios } from '../chaos/scenarios.ts'
import { nginxPath } from './harness/nginx.ts'
import { redisServerPath } from './harness/redis.ts'
import { debianPython, postgresUrl, servicesRequired } from './support/env.ts'

const root = new URL('..', import.meta.url).pathname
const canRun =
  postgresUrl !== undefined &&
  redisServerPath !== null &&
  (nginxPath !== null || servicesRequired) &&
  (Bun.file(debianPython).size > 0 || servicesRequired)

describe.skipIf(!canRun)('chaos scenarios, short variant', () => {
  for (const s of scenarios) {
    test(`${s.name}: ${s.description}`, async () => {
      const out = join(mkdtempSync(join(tmpdir(), 'puo-chaos-ci-')), 'run.json')
      const proc = Bun.spawn([process.execPath, 'chaos/run.ts', s.name, '--short', '--json', out], {
        cwd: root,
        stdout: 'pipe',
        stderr: 'pipe',
        env: process.env,
      })
      const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()])
      const run = JSON.parse(readFileSync(out, 'utf8')) as { verdicts: Verdict[] }
      const [verdict] = run.verdicts
      expect({ failures: verdict?.failures, stderr: code === 0 ? '' : stderr }).toEqual({
        failures: [],
        stderr: '',
      })
      expect(verdict?.delivery.owed).toBeGreaterThan(0)
      expect(verdict?.delivery.delivered).toBe(verdict?.delivery.owed)
      expect(code).toBe(0)
    }, 240_000)
  }
})
