// The success bodies of the routes that declare none to the router (their handlers' types are the
// truth; these describe them for clients): the document's only source for them.
import { Type as T, type TSchema } from '@sinclair/typebox'
import { MemoryJson } from '../protocol/memory.ts'

const Time = T.String({ format: 'date-time' })
const Counts = T.Object({ memories: T.Integer(), tenant: T.Integer() })
const ApiKey = T.Object({
  id: T.String(),
  tenantId: T.String(),
  userId: T.String(),
  name: T.String(),
  prefix: T.String(),
  scopes: T.Array(T.String()),
  createdAt: Time,
  revokedAt: T.Union([Time, T.Null()]),
  lastUsedAt: T.Union([Time, T.Null()]),
})
const Health = T.Object({
  status: T.Union([T.Literal('ok'), T.Literal('degraded'), T.Literal('unavailable')]),
  failing: T.Optional(T.Array(T.Union([T.Literal('db'), T.Literal('bus')]))),
  db: T.Object({ status: T.String(), driver: T.String(), error: T.Optional(T.String()) }),
  bus: T.Object({ status: T.String(), driver: T.String() }),
  websocket: T.Object({
    connections: T.Integer(),
    users: T.Integer(),
    subscriptions: Counts,
    messagesSent: T.Integer(),
    messagesReceived: T.Integer(),
  }),
  version: T.String(),
  uptime: T.Integer({ description: 'seconds' }),
})
const html = { 'text/html': { schema: { type: 'string' } } }

interface Documented {
  status: string
  description: string
  schema?: TSchema
  content?: Record<string, unknown>
}

/** "METHOD path" (as in the document) → its success response. */
export const SUCCESS: Record<string, Documented> = {
  'GET /health': {
    status: '200',
    description: 'Healthy or degraded (503 when the database is down)',
    schema: Health,
  },
  'GET /metrics': {
    status: '200',
    description: 'Prometheus text exposition',
    content: { 'text/plain': { schema: { type: 'string' } } },
  },
  'GET /ws-client': { status: '200', description: 'The WebSocket test page', content: html },
  'GET /admin': { status: '200', description: 'The admin page', content: html },
  'GET /api/v4/memories': {
    status: '200',
    description: 'A page of memories, newest first; pass nextCursor as cursor for the next one',
    schema: T.Object({ data: T.Array(MemoryJson), nextCursor: T.Union([T.String(), T.Null()]) }),
  },
  'GET /api/v4/memories/search': {
    status: '200',
    description: 'Visible memories ranked by similarity (score 0–1), and the embedding model used',
    schema: T.Object({
      data: T.Array(T.Object({ memory: MemoryJson, score: T.Number() })),
      model: T.String(),
    }),
  },
  'DELETE /api/v4/memories/{id}': { status: '204', description: 'Deleted' },
  'POST /api/v4/api-keys': {
    status: '201',
    description: 'The new key: `key` is shown this once, only its hash is stored',
    schema: T.Intersect([ApiKey, T.Object({ key: T.String() })]),
  },
  'GET /api/v4/api-keys': {
    status: '200',
    description: "The tenant's keys (prefixes only)",
    schema: T.Object({ data: T.Array(ApiKey) }),
  },
  'DELETE /api/v4/api-keys/{id}': { status: '200', description: 'The revoked key', schema: ApiKey },
  'GET /api/v4/admin/instances': {
    status: '200',
    description: "Every live instance's latest snapshot (taken every 2 s)",
    schema: T.Object({
      data: T.Array(T.Object({ instanceId: T.String(), at: Time }, { additionalProperties: true })),
    }),
  },
  'POST /api/v4/admin/disconnect': {
    status: '202',
    description: 'Announced to every instance; the sockets close with 4403',
    schema: T.Object({ tenantId: T.String(), userId: T.String(), reason: T.String() }),
  },
  'GET /api/v4/ws/status': {
    status: '200',
    description:
      "This instance's WebSocket figures (the caller's tenant, or the instance for admin)",
    schema: T.Object({
      instanceId: T.String(),
      uptime: T.Integer(),
      scope: T.Union([T.Literal('instance'), T.Literal('tenant')]),
      connections: T.Integer(),
      users: T.Integer(),
      subscriptions: Counts,
      messagesSent: T.Integer(),
      messagesReceived: T.Integer(),
    }),
  },
  'GET /api/v4/presence': {
    status: '200',
    description: "Users of the caller's tenant online on any instance",
    schema: T.Object({
      data: T.Array(T.Object({ userId: T.String(), name: T.Optional(T.String()) })),
    }),
  },
}
