// Preloaded by bun test: closes the run's shared databases once every file has finished.
import { afterAll } from 'bun:test'
import { closeTestDatabases } from './support/db.ts'

afterAll(closeTestDatabases)
