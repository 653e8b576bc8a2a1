// Memory use cases as plain functions: policy checks, then the change and its event in one transaction.
import { canEdit, canSee, isOwner } from '../auth/policy.ts'
import type { Principal } from '../auth/principal.ts'
import type { Db } from '../db/database.ts'
import {
  embedderUnavailable,
  forbidden,
  invalidCursor,
  invalidInput,
  notFound,
  versionConflict,
} from '../errors.ts'
import { appendEvent } from '../events/log.ts'
import type { StoredEvent } from '../events/types.ts'
import { parseInstant } from '../input/instant.ts'
import type { MemoryJson } from '../protocol/memory.ts'
import { activeTraceparent, dbSpan } from '../telemetry/spans.ts'
import { decodeCursor, encodeCursor } from './cursor.ts'
import { embeddingCompleteOf, toMemoryDto } from './dto.ts'
import type { Embedder } from './embedder/embedder.ts'
import { deleteJob } from './embedding-jobs.ts'
import { createIn } from './group-commit.ts'
import {
  deleteMemoryRow,
  enqueueEmbedding,
  listPage,
  lockMemory,
  type NewMemoryRow,
  readMemory,
  searchByVector,
  updateMemoryRow,
} from './queries.ts'
import type { CreateMemoryInput, ListMemoriesInput, UpdateMemoryInput } from './schemas.ts'

export interface MemoryDeps {
  db: Db
  /** Where creates are written, one statement at a time (Database.writer). */
  writer: Db
  embedder: Embedder
  /** Given each committed event, once (events/after-commit.ts: to the bus, and the worker woken). */
  afterCommit: (event: StoredEvent) => void
}

export async function createMemory(
  deps: MemoryDeps,
  p: Principal,
  input: CreateMemoryInput,
): Promise<MemoryJson> {
  const now = new Date()
  // Every column is given (none is left to a default), so the DTO made here is the stored row.
  const row: NewMemoryRow = {
    id: Bun.randomUUIDv7(),
    tenantId: p.tenantId,
    ownerId: p.userId,
    title: input.title ?? null,
    content: input.content,
    tags: dedupe(input.tags ?? []),
    metadata: input.metadata ?? {},
    visibility: input.visibility ?? 'private',
    version: 1,
    ...embeddingColumns(deps.embedder, await embedInline(deps.embedder, input.content)),
    createdAt: now,
    updatedAt: now,
  }
  const memory = toMemoryDto({ ...row, dimensions: row.embedding?.length ?? null })
  const events = await dbSpan('memory.create', () =>
    createIn(deps.writer)({ row, payload: { memory }, trace: activeTraceparent() ?? null }),
  )
  for (const event of events) deps.afterCommit(event)
  return memory
}

export async function getMemory(deps: MemoryDeps, p: Principal, id: string): Promise<MemoryJson> {
  const row = await dbSpan('memory.get', () => readMemory(deps.db, p.tenantId, id))
  if (!row || !canSee(p, row)) throw notFound('Memory')
  return toMemoryDto(row)
}

export interface Page {
  data: MemoryJson[]
  nextCursor: string | null
}

export async function listMemories(
  deps: MemoryDeps,
  p: Principal,
  q: ListMemoriesInput,
): Promise<Page> {
  const limit = q.limit ?? 20
  const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor)
  if (after === null) throw invalidCursor()
  const updatedSince = q.updated_since === undefined ? undefined : parseInstant(q.updated_since)
  if (updatedSince === null) {
    const message = 'updated_since must be a date-time from year 1 to 9999'
    throw invalidInput(`Invalid query: ${message}`, [{ path: '/updated_since', message }])
  }
  const rows = await dbSpan('memory.list', () =>
    listPage(deps.db, {
      tenantId: p.tenantId,
      userId: p.userId,
      limit,
      ...(q.tag !== undefined ? { tag: q.tag } : {}),
      ...(q.visibility !== undefined ? { visibility: q.visibility } : {}),
      ...(updatedSince !== undefined ? { updatedSince } : {}),
      ...(after !== undefined ? { after } : {}),
    }),
  )
  const page = rows.slice(0, limit)
  const last = page.at(-1)
  return {
    data: page.map(toMemoryDto),
    nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
  }
}

/**
 * Partial update. `expectedVersion` (from If-Match) is checked under the row lock, so of two
 * concurrent updates with the same version exactly one succeeds and the other gets 412.
 */
export async function updateMemory(
  deps: MemoryDeps,
  p: Principal,
  id: string,
  patch: UpdateMemoryInput,
  expectedVersion?: number,
): Promise<MemoryJson> {
  const now = new Date()
  const { memory, events } = await dbSpan('memory.update', () =>
    deps.db.transaction(async (tx) => {
      const current = await lockMemory(tx, p.tenantId, id)
      if (!current || !canEdit(p, current)) throw notFound('Memory')
      if (
        patch.visibility !== undefined &&
        patch.visibility !== current.visibility &&
        !isOwner(p, current)
      ) {
        throw forbidden('Only the owner can change the visibility of a memory')
      }
      if (expectedVersion !== undefined && expectedVersion !== current.version) {
        throw versionConflict('Memory', current.version)
      }
      const content = patch.content
      const contentChanged = content !== undefined && content !== current.content
      const vector = contentChanged ? await embedInline(deps.embedder, content) : undefined
      const row = await updateMemoryRow(tx, id, {
        ...(patch.title !== undefined ? { title: patch.title } : {}),
        ...(patch.content !== undefined ? { content: patch.content } : {}),
        ...(patch.tags !== undefined ? { tags: dedupe(patch.tags) } : {}),
        ...(patch.metadata !== undefined ? { metadata: patch.metadata } : {}),
        ...(patch.visibility !== undefined ? { visibility: patch.visibility } : {}),
        ...(contentChanged ? embeddingColumns(deps.embedder, vector) : {}),
        updatedAt: now,
      })
      // A job still queued for earlier content is dropped when the new content came embedded.
      if (contentChanged && vector) await deleteJob(tx, row.id)
      else if (contentChanged) await enqueueEmbedding(tx, row.id, row.tenantId, now)
      const memory = toMemoryDto(row)
      const events = [
        await appendEvent(tx, subjectOf(row), {
          type: 'memory.updated',
          payload: { memory, previousVisibility: current.visibility },
        }),
      ]
      if (vector) {
        const payload = embeddingCompleteOf(row.id, deps.embedder.model, vector)
        events.push(
          await appendEvent(tx, subjectOf(row), { type: 'memory.embedding_complete', payload }),
        )
      }
      return { memory, events }
    }),
  )
  for (const event of events) deps.afterCommit(event)
  return memory
}

export async function deleteMemory(
  deps: MemoryDeps,
  p: Principal,
  id: string,
  expectedVersion?: number,
): Promise<void> {
  const event = await dbSpan('memory.delete', () =>
    deps.db.transaction(async (tx) => {
      const current = await lockMemory(tx, p.tenantId, id)
      if (!current || !canSee(p, current)) throw notFound('Memory')
      if (!isOwner(p, current)) throw forbidden('Only the owner can delete a memory')
      if (expectedVersion !== undefined && expectedVersion !== current.version)
        throw versionConflict('Memory', current.version)
      await deleteMemoryRow(tx, id)
      return appendEvent(tx, subjectOf(current), {
        type: 'memory.deleted',
        payload: { memoryId: id },
      })
    }),
  )
  deps.afterCommit(event)
}

export interface SearchHit {
  memory: MemoryJson
  score: number
}

/** Only memories whose embedding is ready take part; pending ones appear once embedded. */
export async function searchMemories(
  deps: MemoryDeps,
  p: Principal,
  q: { q: string; limit?: number },
): Promise<{ data: SearchHit[]; model: string }> {
  const [vector] = await deps.embedder.embed([q.q]).catch((err: unknown) => {
    throw embedderUnavailable(`Could not embed the query: ${(err as Error).message}`)
  })
  if (!vector) throw embedderUnavailable('The embedder returned no vector')
  const hits = await dbSpan('memory.search', () =>
    searchByVector(deps.db, {
      tenantId: p.tenantId,
      userId: p.userId,
      model: deps.embedder.model,
      vector,
      limit: q.limit ?? 10,
    }),
  )
  return {
    data: hits.map((h) => ({ memory: toMemoryDto(h.row), score: h.score })),
    model: deps.embedder.model,
  }
}

/**
 * The content's vector, when the embedder embeds inline (see Embedder.embedsInline). Undefined
 * leaves it to the embedding worker: always for an embedder behind a network, and for an inline
 * one that failed (the worker retries it and logs the failures).
 */
async function embedInline(embedder: Embedder, content: string): Promise<number[] | undefined> {
  if (!embedder.embedsInline) return undefined
  const [vector] = await embedder.embed([content]).catch(() => [])
  return vector
}

/** A memory's embedding columns: stored with its vector, or pending until the worker's result. */
function embeddingColumns(embedder: Embedder, vector: number[] | undefined) {
  return vector
    ? { embedding: vector, embeddingStatus: 'ready' as const, embeddingModel: embedder.model }
    : { embedding: null, embeddingStatus: 'pending' as const, embeddingModel: null }
}

function subjectOf(row: {
  tenantId: string
  id: string
  ownerId: string
  visibility: 'private' | 'team'
}) {
  return {
    tenantId: row.tenantId,
    memoryId: row.id,
    ownerId: row.ownerId,
    visibility: row.visibility,
  }
}

function dedupe(tags: string[]): string[] {
  return [...new Set(tags)]
}
