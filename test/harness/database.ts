// A fresh PostgreSQL database beside an admin URL's, for a test run, a cluster or a benchmark.
import postgres from 'postgres'

export interface FreshDatabase {
  url: string
  /** Drops it, closing any connection still open to it. */
  drop(): Promise<void>
}

export async function createFreshDatabase(
  adminUrl: string,
  prefix: string,
): Promise<FreshDatabase> {
  const name = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${name}`)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      await admin.unsafe(`drop database if exists ${name} with (force)`)
      await admin.end()
    },
  }
}

/** The fresh databases with `prefix` that process `pid` created and are still there. */
export async function freshDatabasesLeft(
  adminUrl: string,
  prefix: string,
  pid: number,
): Promise<string[]> {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} })
  try {
    const rows = await admin<{ datname: string }[]>`
      select datname from pg_database where datname like ${`${prefix}_${pid}_%`}`
    return rows.map((r) => r.datname)
  } finally {
    await admin.end()
  }
}
