// HTTP routes of /api/v4/memories: parse and authorise the request, call the service, shape the reply.
import { Elysia } from 'elysia'
import type { AuthDeps } from '../auth/authenticate.ts'
import { authPlugin, requireScope } from '../auth/plugin.ts'
import { badRequest } from '../http/errors.ts'
import { MemoryJson } from '../protocol/memory.ts'
import {
  CreateMemoryBody,
  ListMemoriesQuery,
  MemoryIdParams,
  SearchQuery,
  UpdateMemoryBody,
} from './schemas.ts'
import * as service from './service.ts'

/** Accepts `3`, `"3"` and `W/"3"`; `*` (or no header) means "any version". */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*') return undefined
  const m = /^\s*(?:W\/)?"?(\d{1,9})"?\s*$/.exec(header)
  if (!m?.[1]) throw badRequest('invalid_if_match', 'If-Match must be a memory version such as "3"')
  return Number(m[1])
}

const etag = (version: number) => `"${version}"`

export function memoriesController(deps: service.MemoryDeps, auth: AuthDeps) {
  return new Elysia({ prefix: '/memories', tags: ['memories'] })
    .use(authPlugin(auth))
    .post(
      '',
      async ({ principal, body, set }) => {
        requireScope(principal, 'write')
        const memory = await service.createMemory(deps, principal, body)
        set.status = 201
        set.headers.location = `/api/v4/memories/${memory.id}`
        set.headers.etag = etag(memory.version)
        return memory
      },
      {
        body: CreateMemoryBody,
        response: { 201: MemoryJson },
        detail: { summary: 'Create a memory' },
      },
    )
    .get(
      '',
      ({ principal, query }) => {
        requireScope(principal, 'read')
        return service.listMemories(deps, principal, query)
      },
      { query: ListMemoriesQuery, detail: { summary: 'List visible memories, newest first' } },
    )
    .get(
      '/search',
      ({ principal, query }) => {
        requireScope(principal, 'read')
        return service.searchMemories(deps, principal, query)
      },
      { query: SearchQuery, detail: { summary: 'Rank visible memories by similarity to q' } },
    )
    .get(
      '/:id',
      async ({ principal, params, set }) => {
        requireScope(principal, 'read')
        const memory = await service.getMemory(deps, principal, params.id)
        set.headers.etag = etag(memory.version)
        return memory
      },
      {
        params: MemoryIdParams,
        response: { 200: MemoryJson },
        detail: { summary: 'Read a memory' },
      },
    )
    .patch(
      '/:id',
      async ({ principal, params, body, headers, set }) => {
        requireScope(principal, 'write')
        const expected = parseIfMatch(headers['if-match'])
        const memory = await service.updateMemory(deps, principal, params.id, body, expected)
        set.headers.etag = etag(memory.version)
        return memory
      },
      {
        params: MemoryIdParams,
        body: UpdateMemoryBody,
        response: { 200: MemoryJson },
        detail: { summary: 'Update some fields of a memory; If-Match guards against lost updates' },
      },
    )
    .delete(
      '/:id',
      async ({ principal, params, headers, set }) => {
        requireScope(principal, 'write')
        await service.deleteMemory(deps, principal, params.id, parseIfMatch(headers['if-match']))
        set.status = 204
      },
      {
        params: MemoryIdParams,
        detail: { summary: 'Delete a memory (owner only)' },
      },
    )
}
