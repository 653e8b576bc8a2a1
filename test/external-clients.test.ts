// Clients this project did not write — Node's `ws`, Python's `websockets`, a real browser — against the
// server started the README's way (`bun src/main.ts`, what `npm start` runs).
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { type RunningServer, startServer } from './harness/server.ts'
import { runCli } from './support/cli.ts'
import {
  chromiumArgs,
  chromiumPath,
  debianPython,
  hasChromium,
  hasPythonWebsockets,
  nodePath,
  servicesRequired,
} from './support/env.ts'

const clients = new URL('./clients/', import.meta.url).pathname

describe('clients we did not write', () => {
  const env = {
    DATA_DIR: mkdtempSync(join(tmpdir(), 'puo-clients-')),
    DATABASE_URL: '',
    JWT_SECRET: 'c'.repeat(40),
  }
  let server: RunningServer
  beforeAll(async () => {
    server = await startServer(env)
  })
  afterAll(async () => {
    await server.stop()
  })
  const token = (tenant: string, user: string) =>
    runCli(['token', '--tenant', tenant, '--user', user], env).stdout.trim()

  const runJson = (cmd: string[]) => {
    const proc = Bun.spawnSync(cmd, { timeout: 20_000 })
    if (proc.exitCode !== 0) throw new Error(`${cmd.join(' ')} failed:\n${proc.stderr.toString()}`)
    return JSON.parse(proc.stdout.toString().trim().split('\n').at(-1) as string)
  }
  /** The SDK built to plain JavaScript (index.js) in a fresh directory, which it returns. */
  const buildSdk = (target: 'node' | 'browser', ...flags: string[]) => {
    const outdir = mkdtempSync(join(tmpdir(), `puo-sdk-${target}-`))
    const args = ['build', 'src/client/index.ts', '--outdir', outdir, '--target', target]
    const root = new URL('..', import.meta.url).pathname
    const build = Bun.spawnSync([process.execPath, ...args, '--format', 'esm', ...flags], {
      cwd: root,
    })
    expect(build.exitCode).toBe(0)
    return outdir
  }
  /** A client script that connects, subscribes, pings and sees the memory it created arrive. */
  const expectRoundTrip = (program: string, script: string, user: string) => {
    const out = runJson([program, join(clients, script), server.url, token(`${user}-tenant`, user)])
    expect(out).toMatchObject({ connected: user, subscribed: 'subscribed', pong: 'pong', seq: 1 })
    expect(out.eventMemoryId).toBe(out.createdId)
  }

  test.skipIf(!nodePath && !servicesRequired)("Node's ws package", () => {
    expectRoundTrip(nodePath ?? 'node', 'node-ws-client.mjs', 'nora')
  })

  test.skipIf(!nodePath && !servicesRequired)(
    'our SDK, built to plain JavaScript, under Node with ws',
    () => {
      const outdir = buildSdk('node')
      const out = runJson([
        nodePath ?? 'node',
        join(clients, 'node-sdk-check.mjs'),
        join(outdir, 'index.js'),
        `${server.url.replace('http', 'ws')}/api/v4/ws`,
        server.url,
        token('node-sdk', 'nia'),
      ])
      expect(out).toMatchObject({ seen: ['from node'], state: 'closed' })
    },
  )

  test.skipIf(!nodePath && !servicesRequired)(
    'our SDK under Node without a WebSocket option: ws found in the app, or a clear error',
    () => {
      const outdir = mkdtempSync(join(tmpdir(), 'puo-sdk-'))
      const root = new URL('..', import.meta.url).pathname
      const build = Bun.spawnSync(
        [process.execPath, 'build', 'src/client/index.ts', '--outdir', outdir, '--format', 'esm'],
        { cwd: root },
      )
      expect(build.exitCode).toBe(0)
      const args = [
        join(clients, 'node-sdk-lookup.mjs'),
        join(outdir, 'index.js'),
        `${server.url.replace('http', 'ws')}/api/v4/ws`,
        token('node-lookup', 'nils'),
      ]
      const node = nodePath ?? 'node'
      const run = (cwd: string) => {
        const proc = Bun.spawnSync([node, ...args], { cwd, timeout: 20_000 })
        return JSON.parse(proc.stdout.toString().trim().split('\n').at(-1) ?? '{}')
      }
      const major = Number(
        Bun.spawnSync([node, '-p', 'process.versions.node.split(".")[0]']).stdout.toString(),
      )
      // The repository has ws installed: found from the working directory on any Node.
      expect(run(root)).toMatchObject({ state: 'open' })
      // An app folder without ws: Node 20 explains what to do; Node ≥ 22 has a WebSocket of its own.
      const bare = run(mkdtempSync(join(tmpdir(), 'puo-app-')))
      if (major < 22) expect(bare.error).toContain('npm install ws')
      else expect(bare).toMatchObject({ state: 'open' })
    },
  )

  test.skipIf(!hasPythonWebsockets && !servicesRequired)("Python's websockets library", () => {
    expectRoundTrip(debianPython, 'python_client.py', 'pat')
  })

  test.skipIf(!hasChromium && !servicesRequired)(
    'a browser on the /ws-client test page',
    async () => {
      const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs })
      try {
        const page = await browser.newPage()
        const tok = token('browser-tenant', 'bea')
        await page.goto(`${server.url}/ws-client?token=${tok}`)
        await page.click('#connect')
        await page.waitForSelector('#state.open')
        await page.selectOption('#channel', 'memories')
        await page.click('#subscribe')
        await page.waitForFunction(() =>
          document.querySelector('#log')?.textContent?.includes('subscribed'),
        )
        const res = await fetch(`${server.url}/api/v4/memories`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' },
          body: JSON.stringify({ content: 'seen in the browser', visibility: 'team' }),
        })
        const created = (await res.json()) as { id: string }
        await page.waitForFunction(
          (id) => document.querySelector('#log')?.textContent?.includes(id),
          created.id,
        )
        expect(await page.textContent('#log')).toContain('memory.created')
        await page.click('#ping')
        await page.waitForFunction(() =>
          document.querySelector('#rtt')?.textContent?.includes('ms'),
        )
        expect(Number(await page.textContent('#received'))).toBeGreaterThanOrEqual(3)
        await page.screenshot({ path: join(env.DATA_DIR, 'ws-client.png') })
      } finally {
        await browser.close()
      }
    },
    60_000,
  )

  test.skipIf(!hasChromium && !servicesRequired)(
    'our SDK in a browser, with its default URL (the page’s host)',
    async () => {
      const outdir = buildSdk('browser', '--minify')
      const sdk = await Bun.file(join(outdir, 'index.js')).text()
      const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs })
      try {
        const page = await browser.newPage()
        await page.goto(`${server.url}/health`) // any page of the server: the SDK derives its URL from it
        const tok = token('web-sdk', 'wes')
        await page.evaluate(
          async ({ code, tok }) => {
            const mod = await import(
              URL.createObjectURL(new Blob([code], { type: 'text/javascript' }))
            )
            const w = window as unknown as { seen: string[] }
            w.seen = []
            const ws = new mod.PuoMemoWebSocket(tok)
            ws.on('memory.created', (data: { memory: { content: string } }) =>
              w.seen.push(data.memory.content),
            )
            await ws.connect()
            while (ws.lastSeq === undefined) await new Promise((r) => setTimeout(r, 10))
          },
          { code: sdk, tok },
        )
        const res = await fetch(`${server.url}/api/v4/memories`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' },
          body: JSON.stringify({ content: 'seen by the SDK in a browser', visibility: 'team' }),
        })
        expect(res.status).toBe(201)
        await page.waitForFunction(() => (window as unknown as { seen: string[] }).seen.length > 0)
        expect(await page.evaluate(() => (window as unknown as { seen: string[] }).seen)).toEqual([
          'seen by the SDK in a browser',
        ])
      } finally {
        await browser.close()
      }
    },
    60_000,
  )
})
