// Client frames in: counted, rate-limited, parsed and validated against the protocol's schema; then
// handed to the hub by type. Every bad frame gets an `error` frame (or, repeated, a close).
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { findTooDeep } from '../input/json-depth.ts'
import { ClientFrame } from '../protocol/client-frames.ts'
import { type Channel, CloseCode, ErrorCode, isChannel } from '../protocol/codes.ts'
import type { Instruments } from '../telemetry/instruments.ts'
import type { ChannelModule } from './channels/channel.ts'
import type { Socket } from './connection.ts'
import type { Outbox } from './outbox.ts'
import { take } from './rate-limit.ts'
import type { Registry } from './registry.ts'

/** Rate-limit violations in a row before the connection is closed with 1008. */
const MAX_VIOLATIONS = 20

export interface ClientFrameDeps {
  registry: Registry
  instruments: Instruments
  /** `maxJsonDepth`: deepest nesting inside a frame's members (the frame object is one more). */
  limits: { ratePerSecond: number; burst: number; maxJsonDepth: number }
  out: Outbox
  closeWith(ws: Socket, code: number, reason: string): void
  channels: Record<Channel, ChannelModule>
  requests: {
    presence(ws: Socket, id: string | undefined): void
    history(ws: Socket, since: number, limit: number | undefined, id: string | undefined): void
  }
}

const clientFrame = TypeCompiler.Compile(ClientFrame)
const FRAME_TYPES: readonly string[] = ClientFrame.anyOf.map((f) => f.properties.type.const)
/** Frame types whose data names a channel (an unknown one is `unknown_channel`, not `invalid_frame`). */
const WITH_CHANNEL: readonly unknown[] = ['subscribe', 'unsubscribe']
const TYPE_FIELD = new RegExp(`"type"\\s*:\\s*"(${FRAME_TYPES.join('|')})"`)

export function createClientFrames(deps: ClientFrameDeps) {
  const { registry, limits, closeWith, channels, requests } = deps
  const { send, sendError } = deps.out
  const m = deps.instruments
  return function handleMessage(ws: Socket, raw: string | Buffer): void {
    ws.data.lastSeen = performance.now()
    registry.countReceived(ws.data.principal.tenantId)
    m.messagesReceived.add(1, { 'message.type': messageType(raw) })
    m.bytesReceived.add(typeof raw === 'string' ? Buffer.byteLength(raw) : raw.byteLength)
    if (!take(ws.data, limits.ratePerSecond, limits.burst)) {
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
    if (!(FRAME_TYPES as readonly unknown[]).includes(type)) {
      return sendError(ws, ErrorCode.unknownType, `Unknown frame type ${describeValue(type)}`, id)
    }
    const channel = (msg as { data?: { channel?: unknown } }).data?.channel
    if (WITH_CHANNEL.includes(type) && typeof channel === 'string' && !isChannel(channel)) {
      return sendError(
        ws,
        ErrorCode.unknownChannel,
        `Unknown channel "${channel.slice(0, 40)}"; use memories or tenant`,
        id,
      )
    }
    if (!clientFrame.Check(msg)) {
      const first = clientFrame.Errors(msg).First()
      return sendError(
        ws,
        ErrorCode.invalidFrame,
        `Invalid ${String(type)} frame at ${first?.path || '/'}: ${first?.message ?? 'schema violation'}`,
        id,
      )
    }
    switch (msg.type) {
      case 'ping':
        return send(ws, 'pong', {}, id)
      case 'presence':
        return requests.presence(ws, id)
      case 'history':
        return requests.history(ws, msg.data.since, msg.data.limit, id)
      case 'unsubscribe':
        return channels[msg.data.channel].unsubscribe(ws, id)
      case 'subscribe': {
        const { channel, since, epoch } = msg.data
        const position = {
          ...(since !== undefined ? { since } : {}),
          ...(epoch !== undefined ? { epoch } : {}),
        }
        return channels[channel].subscribe(ws, position, id)
      }
    }
  }
}

/**
 * A client's value, named in an error without running any of its code: an object's own
 * `toString` may be anything (`{"toString": true}` makes `String(value)` throw).
 */
function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40))
  if (value === null || typeof value === 'number' || typeof value === 'boolean')
    return String(value)
  if (Array.isArray(value)) return '(a list)'
  return typeof value === 'object' ? '(an object)' : '(missing)'
}

/** The frame type for metrics, read cheaply and bounded to the protocol's own types. */
function messageType(raw: string | Buffer): string {
  if (typeof raw !== 'string') return 'binary'
  const m = TYPE_FIELD.exec(raw.slice(0, 512))
  return m?.[1] ?? 'other'
}
