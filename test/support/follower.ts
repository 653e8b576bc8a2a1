// A test client that follows the memories feed across instances: on any close it reconnects to the next
// instance and resumes with `since`, like a production client would.
import { checkServerFrame } from './contract.ts'
import type { AnyFrame } from './realtime.ts'

export interface Follower {
  /** Every memory frame received, in arrival order (duplicates included, to be counted). */
  frames: AnyFrame[]
  reconnects: number
  /** The instance the current connection is on (from its `connected` frame). */
  instanceId?: string
  /** The seq the first subscription started after. */
  startSeq(): number | undefined
  ready: Promise<void>
  stop(): void
}

export function follow(urls: string[], token: string, first: number): Follower {
  const frames: AnyFrame[] = []
  let lastSeq: number | undefined
  let startSeq: number | undefined
  let isStopped = false
  let ws: WebSocket | undefined
  let attempt = first
  let markReady!: () => void
  const ready = new Promise<void>((r) => {
    markReady = r
  })
  const f: Follower = { frames, reconnects: 0, startSeq: () => startSeq, ready, stop }

  function connect(): void {
    if (isStopped) return
    const url = urls[attempt % urls.length] as string
    attempt++
    const socket = new WebSocket(`${url.replace('http', 'ws')}/api/v4/ws?token=${token}`)
    ws = socket
    socket.onmessage = (e) => {
      const frame = JSON.parse(String(e.data)) as AnyFrame
      checkServerFrame(frame)
      if (frame.type === 'connected') {
        f.instanceId = frame.data.instanceId
        const data =
          lastSeq === undefined ? { channel: 'memories' } : { channel: 'memories', since: lastSeq }
        socket.send(JSON.stringify({ id: 'sub', type: 'subscribe', timestamp: '', data }))
      } else if (frame.type === 'subscribed') {
        if (startSeq === undefined) startSeq = frame.data.seq
        if (lastSeq === undefined) lastSeq = frame.data.seq
        markReady()
      } else if (frame.type === 'error') {
        throw new Error(`follower got an error frame: ${JSON.stringify(frame.data)}`)
      } else if (frame.seq !== undefined) {
        frames.push(frame)
        lastSeq = Math.max(lastSeq ?? 0, frame.seq)
      }
    }
    socket.onclose = () => {
      if (isStopped) return
      f.reconnects++
      setTimeout(connect, 100)
    }
  }

  function stop(): void {
    isStopped = true
    ws?.close()
  }

  connect()
  return f
}
