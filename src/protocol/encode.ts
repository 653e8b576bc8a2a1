// The one place server frames are written: typed by the contract, serialised once. Event frames are
// built from the log's fields, so a replayed or filled event is byte-for-byte the live one.
import type { MemoryEventType, ServerFrameData, ServerFrameType } from './frames.ts'

export function encodeFrame<K extends ServerFrameType>(
  type: K,
  data: ServerFrameData<K>,
  id: string = crypto.randomUUID(),
): string {
  return JSON.stringify({ id, type, timestamp: new Date().toISOString(), data })
}

/** `at`: the event's commit time (ISO 8601), the same for every socket and instance. */
export function encodeEventFrame<K extends MemoryEventType>(
  type: K,
  data: ServerFrameData<K>,
  event: { id: string; seq: number; at: string },
): string {
  return JSON.stringify({ id: event.id, type, seq: event.seq, timestamp: event.at, data })
}

/** A history answer around event frames that are JSON already (spliced in, not parsed again). */
export function encodeHistoryFrame(
  id: string,
  page: { frames: readonly string[]; epoch: string; seq: number; hasMore: boolean },
): string {
  const head = JSON.stringify({ id, type: 'history', timestamp: new Date().toISOString() })
  const data = `{"events":[${page.frames.join(',')}],"epoch":${JSON.stringify(page.epoch)},"seq":${page.seq},"hasMore":${page.hasMore}}`
  return `${head.slice(0, -1)},"data":${data}}`
}
