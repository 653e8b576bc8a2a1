// Client frames in: counted, rate-limited, parsed and validated; then handed to the hub as a ping,
// a subscribe or an unsubscribe. Every bad frame gets an `error` frame (or, repeated, a close).
import { findTooDeep } from '../input/json-depth.ts'
import { CloseCode, ErrorCode } from '../protocol/codes.ts'
import type { Channel } from '../protocol/frames.ts'
import type { Instruments } from '../telemetry/instruments.ts'
import type { Socket } from './connection.ts'
import { clientFrameCheck, isChannel, isKnownType } from './frame-schema.ts'
import { take } from './rate-limit.ts'
import type { Registry } from './registry.ts'

/** Rate-limit violations in a row before the connection is closed with 1008. */
const MAX_VIOLATIONS = 20

export interface ClientFrameDeps {
  registry: Registry
  instruments: Instruments
  /** `maxJsonDepth`: deepest nesting inside a frame's members (the frame object is one more). */
  limits: { ratePerSecond: number; burst: number; maxJsonDepth: number }
  send(ws: Socket, type: string, data: unknown, id?: string): void
  sendError(ws: Socket, code: ErrorCode, message: string, id?: string): void
  closeWith(ws: Socket, code: number, reason: string): void
  subscribe(
    ws: Socket,
    channel: Channel,
    position: { since?: number; epoch?: string },
    id: string | undefined,
  ): void
  unsubscribe(ws: Socket, channel: Channel, id: string | undefined): void
  presence(ws: Socket, id: string | undefined): void
  history(ws: Socket, since: number, limit: number | undefined, id: string | undefined): void
}

export function createClientFrames(deps: ClientFrameDeps) {
  const { registry, limits, send, sendError, closeWith, subscribe, unsubscribe } = deps
  const m = deps.instruments
  return function handleMessage(ws: Socket, raw: string | Buffer): void {
    ws.data.lastSeen = performance.now()
    registry.countReceived(ws.data.principal.tenantId)
    m.messagesReceived.add(1, { 'message.type': messageType(raw) })
    if (!take(ws.data.bucket, limits.ratePerSecond, limits.burst)) {
      m.limitRejections.add(1, { limit: 'rate' })
      ws.data.violations++
      if (ws.data.violations > MAX_VIOLATIONS)
        return closeWith(ws, CloseCode.policyViolation, 'rate limit exceeded repeatedly')
      return sendError(
        ws,
        ErrorCode.rateLimited,
        `Slow down: at most ${limits.ratePerSecond} messages per second`,
      )
    }
    if (typeof raw !== 'string')
      return sendError(
        ws,
        ErrorCode.invalidFrame,
        'Binary frames are not supported; send JSON text',
      )
    const deep = findTooDeep(raw, limits.maxJsonDepth + 1)
    if (deep) {
      return sendError(
        ws,
        ErrorCode.invalidFrame,
        `Frame nests deeper than ${limits.maxJsonDepth} levels at ${deep.path.slice(0, 40)}`,
      )
    }
    let msg: unknown
    try {
      msg = JSON.parse(raw)
    } catch {
      return sendError(ws, ErrorCode.invalidJson, 'Frame is not valid JSON')
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      return sendError(
        ws,
        ErrorCode.invalidFrame,
        'Frame must be a JSON object {id, type, timestamp, data}',
      )
    }
    const rawId = (msg as { id?: unknown }).id
    const id = typeof rawId === 'string' && rawId.length <= 128 ? rawId : undefined
    const type = (msg as { type?: unknown }).type
    if (!isKnownType(type)) {
      return sendError(
        ws,
        ErrorCode.unknownType,
        `Unknown frame type ${JSON.stringify(String(type)).slice(0, 40)}`,
        id,
      )
    }
    if (!clientFrameCheck.Check(msg)) {
      const first = clientFrameCheck.Errors(msg).First()
      return sendError(
        ws,
        ErrorCode.invalidFrame,
        `Invalid ${String(type)} frame at ${first?.path || '/'}: ${first?.message ?? 'schema violation'}`,
        id,
      )
    }
    const f = msg as {
      type: 'subscribe' | 'unsubscribe' | 'ping' | 'presence' | 'history'
      data?: { channel?: string; since?: number; epoch?: string; limit?: number }
    }
    if (f.type === 'ping') return send(ws, 'pong', {}, id)
    if (f.type === 'presence') return deps.presence(ws, id)
    if (f.type === 'history') return deps.history(ws, f.data?.since ?? 0, f.data?.limit, id)
    const channel = f.data?.channel ?? ''
    if (!isChannel(channel))
      return sendError(
        ws,
        ErrorCode.unknownChannel,
        `Unknown channel "${channel.slice(0, 40)}"; use memories or tenant`,
        id,
      )
    if (f.type === 'unsubscribe') return unsubscribe(ws, channel, id)
    const { since, epoch } = f.data ?? {}
    subscribe(
      ws,
      channel,
      { ...(since !== undefined ? { since } : {}), ...(epoch !== undefined ? { epoch } : {}) },
      id,
    )
  }
}

/** The frame type for metrics, read cheaply and bounded to the protocol's own types. */
function messageType(raw: string | Buffer): string {
  if (typeof raw !== 'string') return 'binary'
  const m = /"type"\s*:\s*"(subscribe|unsubscribe|ping|presence|history)"/.exec(raw.slice(0, 512))
  return m?.[1] ?? 'other'
}
