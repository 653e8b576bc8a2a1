// Something built once per database handle: prepared statements, kept for the handle's lifetime.
import type { Db } from './database.ts'

export function perDatabase<T>(build: (db: Db) => T): (db: Db) => T {
  const built = new WeakMap<Db, T>()
  return (db) => {
    let it = built.get(db)
    if (it === undefined) {
      it = build(db)
      built.set(db, it)
    }
    return it
  }
}
