// Preloaded by bun test: once every file has finished, stops leftover servers and closes shared databases.
import { afterAll } from 'bun:test'
import { closeTestDatabases } from './support/db.ts'
import { spawnedServers } from './support/server.ts'

afterAll(async () => {
  // A test that failed half-way may have left server processes behind: none outlives the run.
  for (const proc of spawnedServers) proc.kill('SIGKILL')
  await closeTestDatabases()
})
