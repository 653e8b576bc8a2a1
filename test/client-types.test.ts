// Type-level tests of the SDK's event API: `npm run typecheck` fails if any `@ts-expect-error` below
// stops being an error (a misspelled event name or data field must not compile). The runtime part
// checks that the handlers so typed receive what their types say.
import { expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { type PuoMemoEvents, PuoMemoWebSocket, type WebSocketLike } from '../src/client/index.ts'
import { PYTHON_TYPES_FILE, pythonTypes } from '../src/client/pack/python-types.ts'

/** A WebSocket that never connects: the client is only inspected here. */
class Idle implements WebSocketLike {
  readyState = 0
  onopen = null
  onmessage: WebSocketLike['onmessage'] = null
  onclose = null
  onerror = null
  send(): void {}
  close(): void {}
  static last: Idle | undefined
  constructor() {
    Idle.last = this
  }
}

test('handlers are typed by event name; misspellings do not compile', async () => {
  const ws = new PuoMemoWebSocket('token', { url: 'ws://127.0.0.1:1/api/v4/ws', WebSocket: Idle })
  const contents: string[] = []
  ws.on('memory.created', (data, frame) => {
    contents.push(data.memory.content)
    const seq: number = frame.seq
    void seq
    // @ts-expect-error — a misspelled field of the memory
    void data.memory.contnet
    // @ts-expect-error — a misspelled field of the data
    void data.memroy
  })
  ws.on('memory.deleted', (data) => {
    const id: string = data.memoryId
    void id
    // @ts-expect-error — memory.deleted carries no memory
    void data.memory
  })
  ws.on('state', (state, cause) => {
    // @ts-expect-error — not a connection state
    const bad: typeof state = 'connected-ish'
    void bad
    void cause.code
  })
  ws.on('auth_failed', (data) => void data.reason)
  // @ts-expect-error — a misspelled event name
  ws.on('memory.craeted', () => {})
  // @ts-expect-error — the handler's data does not match the event
  ws.on('memory.created', (data: { memoryId: number }) => void data)
  const events: (keyof PuoMemoEvents)[] = ['memory.created', 'resync', 'closed', 'frame']
  expect(events).toHaveLength(4)

  void ws.connect()
  await Bun.sleep(5)
  const frame = {
    id: crypto.randomUUID(),
    type: 'memory.created',
    seq: 1,
    timestamp: new Date().toISOString(),
    data: { memory: { content: 'typed' } },
  }
  Idle.last?.onmessage?.({
    data: JSON.stringify({ id: 'c', type: 'connected', timestamp: '', data: {} }),
  })
  Idle.last?.onmessage?.({ data: JSON.stringify(frame) })
  expect(contents).toEqual(['typed'])
  ws.disconnect()
})

test("the Python client's type hints are generated from the contract and up to date", () => {
  const committed = readFileSync(PYTHON_TYPES_FILE, 'utf8')
  expect(committed).toContain('class MemoryJson(TypedDict):')
  // Regenerate with `bun src/client/pack/python-types.ts` after changing a schema in src/protocol/.
  expect(committed).toBe(pythonTypes())
})
