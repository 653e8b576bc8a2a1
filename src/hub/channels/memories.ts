// The `memories` channel: ordered fan-out of committed events, subscriptions, and resume from the log.
import type { ObservableResult } from '@opentelemetry/api'
import type { BusEvent } from '../../bus/bus.ts'
import type { EventLogReader } from '../../events/log-reader.ts'
import { ErrorCode } from '../../protocol/codes.ts'
import { teamTopic } from '../../protocol/topics.ts'
import type { Instruments, ResumeOutcome } from '../../telemetry/instruments.ts'
import type { Logger } from '../../telemetry/logger.ts'
import { eventFannedOut } from '../../telemetry/spans.ts'
import { addChannel, dropChannel, hasChannel, type Socket } from '../connection.ts'
import type { Outbox } from '../outbox.ts'
import type { Registry } from '../registry.ts'
import type { ChannelModule, Position } from './channel.ts'
import { type Delivery, route } from './router.ts'
import { createSequencer } from './sequencer.ts'

export interface MemoriesChannelOptions {
  eventLog: EventLogReader
  registry: Registry
  out: Outbox
  log: Logger
  instruments: Instruments
  instanceId: string
  /** How often every watched tenant is compared with the log (anti-entropy). */
  syncIntervalMs: number
  /** Told of each fan-out: its latency and how many sockets it reached (the admin view). */
  onDelivered?(latencyMs: number, sockets: number): void
  /** Most events one resume may replay; further behind is `resume_unavailable` (default 10,000). */
  maxReplay?: number
}

interface CatchUp {
  userId: string
  frames: string[]
}

export function createMemoriesChannel(opts: MemoriesChannelOptions) {
  const { eventLog, registry, out, log } = opts
  const m = opts.instruments
  const maxReplay = opts.maxReplay ?? 10_000
  /** Sockets replaying the log: live frames for them are held here until the replay is out. */
  const catchUps = new Map<string, Map<Socket, CatchUp>>()

  const sequencer = createSequencer({
    log,
    readLog: (tenantId, afterSeq, limit) => eventLog.readEvents(tenantId, afterSeq, { limit }),
    currentSeqs: (ids) => eventLog.currentSeqs(ids),
    emit: fanOut,
    onFilled: (count) => m.eventsFromLog.add(count),
  })
  /** The tenant's log position as far as this instance has fanned it out (0 before any event). */
  const logPosition = (tenantId: string) => sequencer.highWater(tenantId) ?? 0

  function onResume(outcome: ResumeOutcome, replayed: number): void {
    m.resumes.add(1, { outcome })
    if (outcome !== 'resume_unavailable') m.replaySize.record(replayed)
  }

  /** Called in seq order, once per event: one publish per topic, plus held copies for replaying sockets. */
  function fanOut(event: BusEvent): void {
    const { tenantId } = event
    const deliveries = route(event, registry.memoryUsers)
    let sockets = 0
    for (const d of deliveries) {
      sockets +=
        d.userId === undefined
          ? out.publish(tenantId, teamTopic(tenantId), d.frame, d.type)
          : out.sendToUser(tenantId, d.userId, d.frame, d.type)
    }
    const latencyMs = Math.max(0, Date.now() - Date.parse(event.createdAt))
    m.deliveryLatency.record(latencyMs)
    opts.onDelivered?.(latencyMs, sockets)
    eventFannedOut(event, `fan-out ${event.type}`, {
      'puo.event.type': event.type,
      'puo.event.seq': event.seq,
      'puo.instance.id': opts.instanceId,
      'puo.sockets': sockets,
    })
    const waiting = catchUps.get(tenantId)
    if (!waiting) return
    for (const cu of waiting.values()) {
      for (const d of deliveries) if (isFor(d, cu.userId)) cu.frames.push(d.frame)
    }
  }

  async function watch(ws: Socket, tenantId: string): Promise<void> {
    await sequencer.watch(tenantId)
    ws.data.isWatching = true
  }

  function release(ws: Socket): void {
    const { tenantId } = ws.data.principal
    catchUps.get(tenantId)?.delete(ws)
    if (catchUps.get(tenantId)?.size === 0) catchUps.delete(tenantId)
    if (!ws.data.isWatching) return
    ws.data.isWatching = false
    sequencer.unwatch(tenantId)
  }

  /**
   * The socket goes live: team events through the tenant's Bun topic, its user's own events sent to
   * it directly (a Bun topic per user cost about half a kilobyte per socket).
   */
  function subscribeTopics(ws: Socket): void {
    ws.subscribe(teamTopic(ws.data.principal.tenantId))
    registry.goLive(ws)
  }

  /** Undo a subscription that could not complete. */
  function abandon(ws: Socket): void {
    if (dropChannel(ws, 'memories')) registry.unsubscribed(ws, 'memories')
    release(ws)
  }

  /** The position cannot be resumed from: the client must refetch and subscribe without `since`. */
  function refuseResume(ws: Socket, message: string, id: string | undefined): void {
    abandon(ws)
    onResume('resume_unavailable', 0)
    out.sendError(ws, ErrorCode.resumeUnavailable, message, id)
  }

  /**
   * Subscribes the socket, replaying (since, high] first when `since` is given. The `subscribed`
   * frame comes after the replay: its `seq` is a position the client may resume from, because every
   * event up to it has been sent before it.
   */
  async function subscribe(ws: Socket, position: Position, id: string | undefined): Promise<void> {
    const { tenantId, userId } = ws.data.principal
    const { since } = position
    if (hasChannel(ws, 'memories')) {
      const again = { channel: 'memories' as const, seq: logPosition(tenantId) }
      return void eventLog.logEpoch().then(
        (epoch) => out.send(ws, 'subscribed', { ...again, epoch }, id),
        () => out.send(ws, 'subscribed', again, id),
      )
    }
    addChannel(ws, 'memories')
    registry.subscribed(ws, 'memories')
    let epoch: string
    try {
      epoch = await eventLog.logEpoch()
      await watch(ws, tenantId)
    } catch (err) {
      log.warn('could not start the tenant feed', { tenantId, err })
      abandon(ws)
      return out.sendError(ws, ErrorCode.internalError, 'Could not subscribe; try again', id)
    }
    if (position.epoch !== undefined && position.epoch !== epoch) {
      return refuseResume(
        ws,
        'That position belongs to another event log (the database was reset or replaced); refetch and subscribe without since',
        id,
      )
    }
    if (ws.data.isClosing) return
    const seen = logPosition(tenantId)
    if (since !== undefined && since > seen && (await isBeyondLog(tenantId, since))) {
      return refuseResume(
        ws,
        `Position ${since} is beyond the end of the event log (restored or reset); refetch and subscribe without since`,
        id,
      )
    }
    if (ws.data.isClosing) return
    // Read after the last await: from here the socket joins its topics (or its catch-up) synchronously,
    // so no event fanned out meanwhile can slip between `high` and the subscription.
    const high = logPosition(tenantId)
    if (since === undefined || since >= high) {
      subscribeTopics(ws)
      if (since !== undefined) onResume('current', 0)
      return out.send(
        ws,
        'subscribed',
        {
          channel: 'memories',
          seq: Math.max(high, since ?? 0),
          epoch,
          ...(since !== undefined ? { replayed: 0 } : {}),
        },
        id,
      )
    }

    // Resume: hold live frames for this socket, read (since, high] from the log, send it, then release.
    const waiting = catchUps.get(tenantId) ?? new Map<Socket, CatchUp>()
    catchUps.set(tenantId, waiting)
    const cu: CatchUp = { userId, frames: [] }
    waiting.set(ws, cu)
    let replay: string[]
    try {
      replay = await readReplay(tenantId, userId, since, high)
    } catch (err) {
      if (err instanceof ResumeUnavailable) return refuseResume(ws, err.message, id)
      abandon(ws)
      log.warn('could not read the event log for a resume', { tenantId, err })
      return out.sendError(ws, ErrorCode.internalError, 'Could not resume; try again', id)
    }
    if (ws.data.isClosing) return
    // From here to the end nothing can interleave: replay, `subscribed` (the position now reached),
    // then the live frames held meanwhile, then the live topics.
    for (const f of replay) out.sendRaw(ws, f, 'replay')
    onResume('replayed', replay.length)
    out.send(
      ws,
      'subscribed',
      { channel: 'memories', seq: high, epoch, replayed: replay.length },
      id,
    )
    for (const f of cu.frames) out.sendRaw(ws, f, 'replay')
    waiting.delete(ws)
    if (waiting.size === 0) catchUps.delete(tenantId)
    subscribeTopics(ws)
  }

  /** A position past this instance's high water may only be bus lag; past the log's own end it is a rewound log. */
  async function isBeyondLog(tenantId: string, since: number): Promise<boolean> {
    const current = (await eventLog.currentSeqs([tenantId])).get(tenantId) ?? 0
    return since > current
  }

  /**
   * The frames this user would have received for (since, high], minus content of memories they may
   * no longer see: for those only `memory.deleted` frames are replayed (they tell the view to drop it).
   */
  async function readReplay(
    tenantId: string,
    userId: string,
    since: number,
    high: number,
  ): Promise<string[]> {
    const floor = await eventLog.earliestSeq(tenantId)
    if (floor === undefined || floor > since + 1) {
      throw new ResumeUnavailable(
        `Events after seq ${since} are no longer kept; refetch and subscribe without since`,
      )
    }
    const events = await eventLog.readEvents(tenantId, since, {
      upToSeq: high,
      limit: maxReplay + 1,
    })
    if (events.length > maxReplay) {
      throw new ResumeUnavailable(
        `More than ${maxReplay} events were missed; refetch and subscribe without since`,
      )
    }
    return visibleFrames(tenantId, userId, events)
  }

  /** The frames of these events this user may see now (see readReplay). */
  async function visibleFrames(
    tenantId: string,
    userId: string,
    events: BusEvent[],
  ): Promise<string[]> {
    const access = await eventLog.memoryAccess(tenantId, [
      ...new Set(events.map((e) => e.memoryId)),
    ])
    const out: string[] = []
    for (const e of events) {
      const a = access.get(e.memoryId)
      const isVisibleNow = a !== undefined && (a.visibility === 'team' || a.ownerId === userId)
      for (const d of route(e, () => [userId])) {
        if (isFor(d, userId) && (isVisibleNow || d.type === 'memory.deleted')) out.push(d.frame)
      }
    }
    return out
  }

  /**
   * A page of the log for `history`: the frames after `since` this user may see, from at most
   * `limit` events; `seq` is where the next page starts. Throws ResumeUnavailable when `since` is
   * older than the log keeps.
   */
  async function history(
    tenantId: string,
    userId: string,
    since: number,
    limit: number,
  ): Promise<{ frames: string[]; seq: number; hasMore: boolean; epoch: string }> {
    const floor = await eventLog.earliestSeq(tenantId)
    if (floor !== undefined && floor > since + 1) {
      throw new ResumeUnavailable(`Events after seq ${since} are no longer kept`)
    }
    const events = await eventLog.readEvents(tenantId, since, { limit: limit + 1 })
    const page = events.slice(0, limit)
    return {
      frames: await visibleFrames(tenantId, userId, page),
      seq: page.at(-1)?.seq ?? since,
      hasMore: events.length > limit,
      epoch: await eventLog.logEpoch(),
    }
  }

  // Anti-entropy: every watched tenant is compared with the log, closing gaps the bus left.
  let isSyncing = false
  const syncer = setInterval(() => {
    if (isSyncing) return
    isSyncing = true
    sequencer
      .syncAll()
      .catch((err: unknown) => log.warn('event log sync failed; retrying', { err }))
      .finally(() => {
        isSyncing = false
      })
  }, opts.syncIntervalMs)
  syncer.unref?.()

  // The relay lag of this design: how long the oldest committed event has waited here for a gap to fill.
  const observePendingAge = (r: ObservableResult) => {
    const at = sequencer.oldestPendingAt()
    r.observe(at === undefined ? 0 : Math.max(0, Date.now() - at))
  }
  m.pendingAge.addCallback(observePendingAge)

  const channel: ChannelModule = {
    subscribe(ws, position, id) {
      subscribe(ws, position, id).catch((err: unknown) => {
        log.error('subscribe failed', { err })
        out.sendError(ws, ErrorCode.internalError, 'Could not subscribe; try again', id)
      })
    },
    unsubscribe(ws, id) {
      if (dropChannel(ws, 'memories')) {
        ws.unsubscribe(teamTopic(ws.data.principal.tenantId))
        registry.unsubscribed(ws, 'memories')
        release(ws)
      }
      out.send(ws, 'unsubscribed', { channel: 'memories' }, id)
    },
    release,
  }

  return {
    ...channel,
    history,
    /** Every committed event (from the bus, or the local writer): ordered and deduplicated here. */
    deliver: (event: BusEvent) => sequencer.offer(event),
    /** Compares every watched tenant with the log now (e.g. after the bus recovered). */
    syncNow: () => sequencer.syncAll(),
    position: logPosition,
    stop(): void {
      clearInterval(syncer)
      m.pendingAge.removeCallback(observePendingAge)
    },
  }
}

/** Whether a delivery reaches this user's sockets (team deliveries reach everyone). */
const isFor = (d: Delivery, userId: string) => d.userId === undefined || d.userId === userId

export class ResumeUnavailable extends Error {}

export type MemoriesChannel = ReturnType<typeof createMemoriesChannel>
