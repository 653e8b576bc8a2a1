// Messages sent while disconnected: kept in order, bounded in number and age, flushed on reconnect.

export interface OfflineQueueOptions {
  /** Most messages kept; when full the oldest is dropped (default 100). */
  max?: number
  /** Messages older than this are dropped instead of sent (default 60,000 ms). */
  ttlMs?: number
}

export class OfflineQueue<T> {
  private items: { value: T; at: number }[] = []
  private readonly max: number
  private readonly ttlMs: number

  constructor(
    opts: OfflineQueueOptions = {},
    private readonly now: () => number = Date.now,
  ) {
    this.max = opts.max ?? 100
    this.ttlMs = opts.ttlMs ?? 60_000
  }

  /** Returns the message dropped to make room, if any. */
  push(value: T): T | undefined {
    this.items.push({ value, at: this.now() })
    return this.items.length > this.max ? this.items.shift()?.value : undefined
  }

  /** Removes and returns what is still fresh, oldest first. */
  drain(): T[] {
    const cutoff = this.now() - this.ttlMs
    const fresh = this.items.filter((i) => i.at >= cutoff).map((i) => i.value)
    this.items = []
    return fresh
  }

  get size(): number {
    return this.items.length
  }
}
