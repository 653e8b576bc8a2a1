// usePuoMemoWebSocket in a DOM (happy-dom) with @testing-library/react, against a real server.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { GlobalRegistrator } from '@happy-dom/global-registrator'
import { createElement } from 'react'
import { signToken } from '../src/auth/jwt.ts'
import { type RunningServer, startServer } from './harness/server.ts'

// Bun's own WebSocket and fetch, kept before the DOM globals are installed.
const NativeWebSocket = globalThis.WebSocket
const nativeFetch = globalThis.fetch

const until = async (cond: () => boolean, what: string, ms = 10_000) => {
  for (const end = Date.now() + ms; !cond(); await Bun.sleep(10)) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
  }
}

// The server runs as its own process: the DOM globals installed here must not reach it.
const SECRET = 'r'.repeat(40)

// biome-ignore lint/suspicious/noExplicitAny: the hook module is loaded after the DOM is installed
let hook: any

function Feed(props: {
  n: number
  token: string
  url: string
  onCreated: (data: { memory: { content: string } }) => void
}) {
  const { isConnected, state } = hook.usePuoMemoWebSocket({
    token: props.token,
    url: props.url,
    WebSocket: NativeWebSocket,
    onMemoryCreated: props.onCreated,
  })
  return createElement('span', { 'data-testid': `feed-${props.n}` }, isConnected ? 'live' : state)
}

/** Everything inline, as an app writes it: a new options object and token source every render. */
function Inline(props: {
  tick: number
  url: string
  onRender: () => void
  makeToken: () => Promise<string>
  onCreated: (data: { memory: { content: string } }) => void
}) {
  props.onRender()
  const { isConnected } = hook.usePuoMemoWebSocket({
    token: { getToken: () => props.makeToken() },
    url: props.url,
    WebSocket: NativeWebSocket,
    reconnect: { minMs: 100 },
    onMemoryCreated: (data: { memory: { content: string } }) => props.onCreated(data),
  })
  return createElement(
    'span',
    { 'data-testid': 'inline' },
    `${isConnected ? 'live' : 'wait'} ${props.tick}`,
  )
}

describe('usePuoMemoWebSocket', () => {
  let server: RunningServer
  // biome-ignore lint/suspicious/noExplicitAny: the testing library is loaded after the DOM is installed
  let rtl: any
  beforeAll(async () => {
    server = await startServer({
      DATA_DIR: mkdtempSync(join(tmpdir(), 'puo-react-')),
      DATABASE_URL: '',
      JWT_SECRET: SECRET,
    })
    GlobalRegistrator.register()
    // Imported here, after the DOM exists; its own hooks are registered by this file instead.
    process.env.RTL_SKIP_AUTO_CLEANUP = 'true'
    ;(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true
    rtl = await import('@testing-library/react')
    hook = await import('../src/client/react.ts')
  })
  afterAll(async () => {
    rtl?.cleanup()
    await GlobalRegistrator.unregister()
    await server?.stop()
  })

  let connections = 0
  const refreshConnections = async (tenantId: string) => {
    const token = await signToken(SECRET, { tenantId, userId: 'observer' })
    const res = await nativeFetch(`${server.url}/api/v4/ws/status`, {
      headers: { authorization: `Bearer ${token}` },
    })
    connections = ((await res.json()) as { connections: number }).connections
    return connections
  }

  test('components share one connection per token, receive events, and the socket closes on unmount', async () => {
    const token = await signToken(SECRET, { tenantId: 'react-1', userId: 'alice' })
    const url = `${server.url.replace('http', 'ws')}/api/v4/ws`
    const created: string[] = []
    const onCreated = (n: number) => (data: { memory: { content: string } }) => {
      created.push(`${n}:${data.memory.content}`)
    }
    const view = rtl.render(
      createElement(
        'div',
        null,
        createElement(Feed, { n: 0, token, url, onCreated: onCreated(0) }),
        createElement(Feed, { n: 1, token, url, onCreated: onCreated(1) }),
      ),
    )
    await until(
      () =>
        view.getByTestId('feed-0').textContent === 'live' &&
        view.getByTestId('feed-1').textContent === 'live',
      'both live',
    )
    expect(await refreshConnections('react-1')).toBe(1)
    await Bun.sleep(100) // subscription settles
    const res = await nativeFetch(`${server.url}/api/v4/memories`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'from react', visibility: 'team' }),
    })
    expect(res.status).toBe(201)
    await until(() => created.length === 2, 'both components notified')
    expect(created.sort()).toEqual(['0:from react', '1:from react'])
    view.unmount()
    for (let i = 0; i < 100 && (await refreshConnections('react-1')) !== 0; i++) await Bun.sleep(50)
    expect(connections).toBe(0)
  })

  test('inline options in StrictMode, re-rendered: one socket, no render loop, events arrive', async () => {
    const tenantId = 'react-2'
    const url = `${server.url.replace('http', 'ws')}/api/v4/ws`
    const writer = await signToken(SECRET, { tenantId, userId: 'writer' })
    let tokenCalls = 0
    const seen: string[] = []
    let renders = 0
    const props = (tick: number) => ({
      tick,
      url,
      onRender: () => renders++,
      makeToken: () => {
        tokenCalls++
        return signToken(SECRET, { tenantId, userId: 'bea' })
      },
      onCreated: (data: { memory: { content: string } }) => seen.push(data.memory.content),
    })
    const { StrictMode } = await import('react')
    const view = rtl.render(createElement(StrictMode, null, createElement(Inline, props(0))))
    for (let tick = 1; tick <= 5; tick++) {
      view.rerender(createElement(StrictMode, null, createElement(Inline, props(tick))))
    }
    await until(() => view.getByTestId('inline').textContent === 'live 5', 'live')
    await Bun.sleep(300)
    expect(await refreshConnections(tenantId)).toBe(1)
    expect(tokenCalls).toBe(1)
    expect(renders).toBeLessThan(40)
    await nativeFetch(`${server.url}/api/v4/memories`, {
      method: 'POST',
      headers: { authorization: `Bearer ${writer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ content: 'inline works', visibility: 'team' }),
    })
    await until(() => seen.includes('inline works'), 'event')
    expect(seen).toEqual(['inline works'])
    view.unmount()
    for (let i = 0; i < 100 && (await refreshConnections(tenantId)) !== 0; i++) await Bun.sleep(50)
    expect(connections).toBe(0)
  })
})
