// Builds the real app on a test database, plus helpers to mint credentials and call routes.

import { createLocalDirectory } from '../../src/admin/directory.ts'
import { createApp } from '../../src/app.ts'
import { signToken } from '../../src/auth/jwt.ts'
import type { Scope } from '../../src/auth/principal.ts'
import { createLocalBus } from '../../src/bus/local.ts'
import type { Database } from '../../src/db/database.ts'
import type { Disconnect } from '../../src/events/disconnect.ts'
import type { StoredEvent } from '../../src/events/types.ts'
import { createRegistry } from '../../src/hub/registry.ts'
import type { Embedder } from '../../src/memories/embedder/embedder.ts'
import { createLocalEmbedder } from '../../src/memories/embedder/local.ts'
import { capturingLogger } from './logs.ts'

export const TEST_SECRET = 'test-secret-that-is-long-enough-0123456789'

export interface TestApp {
  app: ReturnType<typeof createApp>
  database: Database
  committed: StoredEvent[]
  /** Credentials withdrawn through the app (API key revocations), in order. */
  disconnects: Disconnect[]
  /** A fresh tenant id, so tests sharing a database never see each other's rows. */
  tenant(): string
  token(
    tenantId: string,
    userId: string,
    opts?: { scopes?: Scope[]; ttlSeconds?: number },
  ): Promise<string>
  call(method: string, path: string, opts?: CallOptions): Promise<Reply>
}

export interface CallOptions {
  token?: string
  apiKey?: string
  body?: unknown
  /** Sent as-is instead of JSON.stringify(body). */
  rawBody?: string | Uint8Array<ArrayBuffer>
  headers?: Record<string, string>
}

export interface Reply {
  status: number
  headers: Headers
  // biome-ignore lint/suspicious/noExplicitAny: test replies are inspected field by field
  body: any
}

export function buildTestApp(
  database: Database,
  opts: { embedder?: Embedder; bodyLimit?: number } = {},
): TestApp {
  const committed: StoredEvent[] = []
  const disconnects: Disconnect[] = []
  const app = createApp({
    database,
    jwtSecret: TEST_SECRET,
    embedder: opts.embedder ?? createLocalEmbedder(64),
    log: capturingLogger(),
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    jsonMaxDepth: 32,
    version: 'test',
    startedAt: Date.now(),
    bus: createLocalBus(),
    realtime: {
      registry: createRegistry(),
      instanceId: 'test',
      startedAt: Date.now(),
      onlineUsers: async () => [],
    },
    afterCommit: (e) => committed.push(e),
    onDisconnect: (d) => disconnects.push(d),
    directory: createLocalDirectory(),
  })
  return {
    app,
    database,
    committed,
    disconnects,
    tenant: () => `t-${crypto.randomUUID().slice(0, 12)}`,
    token: (tenantId, userId, o = {}) =>
      signToken(TEST_SECRET, {
        tenantId,
        userId,
        ...(o.scopes ? { scopes: o.scopes } : {}),
        ...(o.ttlSeconds !== undefined ? { ttlSeconds: o.ttlSeconds } : {}),
      }),
    async call(method, path, o = {}) {
      const headers = new Headers(o.headers)
      if (o.token) headers.set('authorization', `Bearer ${o.token}`)
      if (o.apiKey) headers.set('x-api-key', o.apiKey)
      let body: string | Uint8Array<ArrayBuffer> | undefined
      if (o.rawBody !== undefined) body = o.rawBody
      else if (o.body !== undefined) {
        body = JSON.stringify(o.body)
        if (!headers.has('content-type')) headers.set('content-type', 'application/json')
      }
      const res = await app.handle(
        new Request(`http://localhost${path}`, { method, headers, body }),
      )
      const text = await res.text()
      let parsed: unknown = text
      try {
        parsed = text ? JSON.parse(text) : null
      } catch {}
      return { status: res.status, headers: res.headers, body: parsed }
    },
  }
}

/**
 * Creates a team memory through a server's REST API, retrying while that server is down or
 * restarting; resolves with the content once it was created.
 */
export async function createWithRetry(
  baseUrl: string,
  token: string,
  content: string,
): Promise<string> {
  for (let i = 0; i < 100; i++) {
    const status = await fetch(`${baseUrl}/api/v4/memories`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ content, visibility: 'team' }),
    }).then(
      (r) => r.status,
      () => 0,
    )
    if (status === 201) return content
    await Bun.sleep(50)
  }
  throw new Error(`could not create "${content}"`)
}
