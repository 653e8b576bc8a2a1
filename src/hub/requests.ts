// Answers to the request frames: `presence` (who is online in the tenant, on every instance) and
// `history` (a page of the event log this user may see). Each answer echoes the request's id.
import type { PresenceUser } from '../presence/presence.ts'
import { ErrorCode } from '../protocol/codes.ts'
import { encodeHistoryFrame } from '../protocol/encode.ts'
import type { Logger } from '../telemetry/logger.ts'
import { type MemoriesChannel, ResumeUnavailable } from './channels/memories.ts'
import type { Socket } from './connection.ts'
import type { Outbox } from './outbox.ts'

export interface RequestDeps {
  memories: Pick<MemoriesChannel, 'history'>
  onlineUsers(tenantId: string): Promise<Pick<PresenceUser, 'userId' | 'name'>[]>
  out: Outbox
  log: Logger
}

/** Events per history page unless the request says otherwise. */
const DEFAULT_HISTORY_LIMIT = 100

export function createRequests(deps: RequestDeps) {
  const { log } = deps
  const { send, sendError } = deps.out
  return {
    presence(ws: Socket, id: string | undefined): void {
      deps
        .onlineUsers(ws.data.principal.tenantId)
        .then((users) => {
          const online = users.map((u) => ({
            userId: u.userId,
            ...(u.name ? { name: u.name } : {}),
          }))
          send(ws, 'presence', { users: online }, id)
        })
        .catch((err: unknown) => {
          log.warn('presence list failed', { err })
          sendError(ws, ErrorCode.internalError, 'Could not list who is online; try again', id)
        })
    },

    history(ws: Socket, since: number, limit: number | undefined, id: string | undefined): void {
      const { tenantId, userId } = ws.data.principal
      deps.memories
        .history(tenantId, userId, since, limit ?? DEFAULT_HISTORY_LIMIT)
        .then((page) => {
          deps.out.sendRaw(ws, encodeHistoryFrame(id ?? crypto.randomUUID(), page), 'history')
        })
        .catch((err: unknown) => {
          if (err instanceof ResumeUnavailable) {
            return sendError(
              ws,
              ErrorCode.resumeUnavailable,
              `${err.message}; refetch over REST`,
              id,
            )
          }
          log.warn('history read failed', { err })
          sendError(ws, ErrorCode.internalError, 'Could not read the history; try again', id)
        })
    },
  }
}
