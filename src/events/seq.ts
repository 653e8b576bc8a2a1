// Reads a tenant's latest committed seq (0 before its first event).
import { eq } from 'drizzle-orm'
import type { Db } from '../db/database.ts'
import { tenantSeqs } from '../db/schema.ts'

export async function currentSeq(db: Db, tenantId: string): Promise<number> {
  const [row] = await db
    .select({ seq: tenantSeqs.seq })
    .from(tenantSeqs)
    .where(eq(tenantSeqs.tenantId, tenantId))
  return row?.seq ?? 0
}
