// The client packages as an outside app gets them: `npm run pack:clients` writes the tarball and the
// wheel, which are installed into fresh projects outside the repository and run the usage examples
// against a live server: TypeScript (strict), Node with ws, Bun, a React page in chromium, Python.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { signToken } from '../src/auth/jwt.ts'
import { type RunningServer, startServer } from './harness/server.ts'
import {
  chromiumArgs,
  chromiumPath,
  debianPython,
  hasChromium,
  hasPythonWebsockets,
  nodePath,
  servicesRequired,
} from './support/env.ts'

const root = new URL('..', import.meta.url).pathname
const SECRET = 'p'.repeat(40)

function sh(cmd: string[], cwd: string, timeout = 120_000): string {
  const p = Bun.spawnSync(cmd, { cwd, timeout, stdout: 'pipe', stderr: 'pipe' })
  if (p.exitCode !== 0) throw new Error(`${cmd.join(' ')} failed:\n${p.stderr}\n${p.stdout}`)
  return p.stdout.toString()
}

/** An empty app folder outside the repository with the tarball (and `extra` packages) installed. */
function appWith(tarball: string, extra: string[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'puo-app-'))
  writeFileSync(join(dir, 'package.json'), '{"name":"app","private":true,"type":"module"}\n')
  sh(['npm', 'install', '--no-audit', '--no-fund', '--prefer-offline', tarball, ...extra], dir)
  return dir
}

/**
 * The seed's JavaScript usage example, unchanged between the markers, in an app that defines what it
 * uses (authToken, updateUI). Outside a browser the server is found through PUO_MEMO_URL.
 */
const jsExample = (token: string) => `
import { PuoMemoWebSocket } from '@puo-memo/client'

const authToken = ${JSON.stringify(token)}
const seen = []
const updateUI = (memory) => seen.push(memory.content)

// --- the example ---
const ws = new PuoMemoWebSocket(authToken);

ws.on('memory.created', (data) => {
  console.log('New memory:', data.memory);
  updateUI(data.memory);
});

ws.connect();
// --- end of the example ---

while (ws.lastSeq === undefined) await new Promise((r) => setTimeout(r, 10))
console.log('READY')
for (let i = 0; i < 500 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 20))
ws.disconnect()
console.log(JSON.stringify({ seen }))
`

/** Lines the package's types must reject (an unused @ts-expect-error fails tsc): typed, not `any`. */
const typeErrors = `
// @ts-expect-error a misspelled event name
ws.on('memory.craeted', () => {})
// @ts-expect-error a misspelled field
ws.on('memory.created', (data) => data.memory.contnet)
// @ts-expect-error not a channel
ws.subscribe('memoriez')
// @ts-expect-error a server frame, not one a client sends
ws.send('memory.created', {})
// @ts-expect-error history needs a position
ws.send('history', { limit: 5 })
ws.send('history', { since: 3, limit: 5 })
const visibility: import('@puo-memo/client').MemoryJson['visibility'] = 'team'
void visibility
export {}
`

describe.skipIf(!servicesRequired && !(nodePath && hasPythonWebsockets && hasChromium))(
  'client packages installed outside the repository',
  () => {
    let server: RunningServer
    let tarball: string
    let wheel: string
    let wsUrl: string
    beforeAll(async () => {
      server = await startServer({
        DATA_DIR: mkdtempSync(join(tmpdir(), 'puo-install-')),
        DATABASE_URL: '',
        JWT_SECRET: SECRET,
      })
      wsUrl = `${server.url.replace('http', 'ws')}/api/v4/ws`
      const out = mkdtempSync(join(tmpdir(), 'puo-packs-'))
      sh([process.execPath, 'run', 'pack:clients', out], root)
      const files = readdirSync(out)
      tarball = join(out, files.find((f) => f.endsWith('.tgz')) as string)
      wheel = join(out, files.find((f) => f.endsWith('.whl')) as string)
    }, 180_000)
    afterAll(async () => {
      await server?.stop()
    })

    const token = (user: string) => signToken(SECRET, { tenantId: 'installed', userId: user })

    /** Starts `cmd`, waits for READY, writes a team memory, and returns the JSON it printed last. */
    async function runExample(cmd: string[], cwd: string, content: string) {
      const env = { ...process.env, PUO_MEMO_URL: wsUrl }
      const proc = Bun.spawn(cmd, { cwd, env, stdout: 'pipe', stderr: 'pipe' })
      const reader = proc.stdout.getReader()
      let out = ''
      while (!out.includes('READY')) {
        const r = await reader.read()
        if (r.done)
          throw new Error(
            `${cmd.join(' ')} ended early:\n${out}\n${await new Response(proc.stderr).text()}`,
          )
        out += new TextDecoder().decode(r.value)
      }
      const res = await fetch(`${server.url}/api/v4/memories`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await token('writer')}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ content, visibility: 'team' }),
      })
      expect(res.status).toBe(201)
      for (let r = await reader.read(); !r.done; r = await reader.read())
        out += new TextDecoder().decode(r.value)
      await proc.exited
      return JSON.parse(out.trim().split('\n').at(-1) as string)
    }

    test('the tarball holds only the client and declares no runtime dependency', () => {
      const files = sh(['tar', 'tzf', tarball], root).trim().split('\n')
      expect(
        files.every((f) =>
          /^package\/(package\.json|README\.md|[\w-]+\.js|types\/(client|protocol)\/[\w-]+\.d\.ts)$/.test(
            f,
          ),
        ),
      ).toBe(true)
      const manifest = JSON.parse(sh(['tar', 'xzOf', tarball, 'package/package.json'], root))
      expect(manifest.name).toBe('@puo-memo/client')
      expect(manifest.dependencies).toBeUndefined()
      const app = appWith(tarball)
      expect(readdirSync(join(app, 'node_modules')).filter((d) => !d.startsWith('.'))).toEqual([
        '@puo-memo',
      ])
    }, 120_000)

    test('a strict TypeScript project type-checks the example against the package', async () => {
      const app = appWith(tarball)
      writeFileSync(
        join(app, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            module: 'nodenext',
            moduleResolution: 'nodenext',
            target: 'es2022',
            lib: ['es2022', 'dom'],
            noEmit: true,
            skipLibCheck: false,
            types: [],
          },
        }),
      )
      writeFileSync(
        join(app, 'app.ts'),
        `${jsExample(await token('ts'))
          .replace('const seen = []', 'const seen: string[] = []')
          .replace('(memory) =>', '(memory: { content: string }) =>')}${typeErrors}`,
      )
      sh([join(root, 'node_modules/.bin/tsc'), '-p', '.'], app)
    }, 120_000)

    test('Node with ws installed runs the example (the client finds ws by itself)', async () => {
      const app = appWith(tarball, ['ws@8'])
      writeFileSync(join(app, 'app.mjs'), jsExample(await token('node')))
      const out = await runExample([nodePath ?? 'node', 'app.mjs'], app, 'seen by node')
      expect(out.seen).toEqual(['seen by node'])
    }, 120_000)

    test('Bun runs the example', async () => {
      const app = appWith(tarball)
      writeFileSync(join(app, 'app.mjs'), jsExample(await token('bun')))
      const out = await runExample([process.execPath, 'app.mjs'], app, 'seen by bun')
      expect(out.seen).toEqual(['seen by bun'])
    }, 120_000)

    test('Python from the wheel in a fresh venv runs the example', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'puo-venv-'))
      // --system-site-packages: the distribution's websockets satisfies the wheel's one dependency.
      sh([debianPython, '-m', 'venv', '--system-site-packages', join(dir, 'venv')], dir)
      sh([join(dir, 'venv/bin/pip'), 'install', '--quiet', '--no-index', wheel], dir)
      writeFileSync(
        join(dir, 'app.py'),
        `import asyncio, json
from puo_memo import PuoMemoWebSocket

seen = []

def handle_new_memory(data):
    seen.append(data["memory"]["content"])

async def main():
    # --- the example (the token in place of "...") ---
    ws = PuoMemoWebSocket(token=${JSON.stringify(await token('py'))})
    ws.on("memory.created", handle_new_memory)
    await ws.connect()
    # --- end of the example ---
    print("READY", flush=True)
    for _ in range(500):
        if seen:
            break
        await asyncio.sleep(0.02)
    await ws.disconnect()
    print(json.dumps({"seen": seen}), flush=True)

asyncio.run(main())
`,
      )
      const out = await runExample([join(dir, 'venv/bin/python'), 'app.py'], dir, 'seen by python')
      expect(out.seen).toEqual(['seen by python'])
    }, 120_000)

    test('a React page (the hook from the package) in chromium shows a new memory', async () => {
      const app = appWith(tarball, ['react@19', 'react-dom@19'])
      const tok = await token('react')
      writeFileSync(
        join(app, 'page.jsx'),
        `import { useState } from 'react'
import { createRoot } from 'react-dom/client'
import { usePuoMemoWebSocket } from '@puo-memo/client/react'

const authToken = ${JSON.stringify(tok)}

function Memories() {
  const [memories, setMemories] = useState([])
  // --- the example ---
  const { isConnected } = usePuoMemoWebSocket({
    token: authToken,
    onMemoryCreated: (data) => {
      setMemories(prev => [data.memory, ...prev]);
    }
  });
  // --- end of the example ---
  return (
    <div>
      <p id="state">{isConnected ? 'live' : 'connecting'}</p>
      <ul>{memories.map((m) => <li key={m.id}>{m.content}</li>)}</ul>
    </div>
  )
}

createRoot(document.getElementById('root')).render(<Memories />)
`,
      )
      sh([process.execPath, 'build', 'page.jsx', '--outdir', 'dist', '--target', 'browser'], app)
      const js = await Bun.file(join(app, 'dist/page.js')).text()
      // A fulfilled page has no address space of its own, so chromium's local-network checks would
      // refuse its socket to the (loopback) server; a real deployment serves both from one host.
      const browser = await chromium.launch({
        executablePath: chromiumPath,
        args: [...chromiumArgs, '--disable-features=LocalNetworkAccessChecks'],
      })
      try {
        const page = await browser.newPage()
        // The app is served from the server's origin (as a deployment would), so the hook's default
        // URL, the page's host, reaches the server; the socket itself is not intercepted.
        await page.route(
          (url) => url.origin === server.url && url.pathname.startsWith('/app/'),
          (route) =>
            new URL(route.request().url()).pathname === '/app/page.js'
              ? route.fulfill({ body: js, contentType: 'text/javascript' })
              : route.fulfill({
                  body: '<!doctype html><div id="root"></div><script type="module" src="/app/page.js"></script>',
                  contentType: 'text/html',
                }),
        )
        await page.goto(`${server.url}/app/`)
        await page.waitForFunction(() => document.querySelector('#state')?.textContent === 'live')
        await Bun.sleep(200)
        await fetch(`${server.url}/api/v4/memories`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${await token('writer')}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({ content: 'seen in react', visibility: 'team' }),
        })
        await page.waitForFunction(
          () => document.querySelector('li')?.textContent === 'seen in react',
        )
      } finally {
        await browser.close()
      }
    }, 120_000)
  },
)
