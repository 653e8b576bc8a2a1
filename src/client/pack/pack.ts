// `npm run pack:clients -- DIR`: writes the JavaScript package (@puo-memo/client, *.tgz: ESM and
// .d.ts of src/client and the protocol only, no runtime dependency) and the Python wheel (*.whl).
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { declarationsOf } from './declarations.ts'

const root = resolve(import.meta.dir, '../../..')
const version = (
  JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }
).version

function run(cmd: string[], cwd: string): string {
  const p = Bun.spawnSync(cmd, { cwd, stdout: 'pipe', stderr: 'pipe' })
  if (p.exitCode !== 0) {
    throw new Error(`${cmd.join(' ')} failed (${p.exitCode}):\n${p.stderr}\n${p.stdout}`)
  }
  return p.stdout.toString()
}

/** The package's own package.json: react and ws are optional peers; nothing else is needed. */
const manifest = {
  name: '@puo-memo/client',
  version,
  description: 'PUO Memo real-time client: reconnect, resume without loss, de-duplication',
  license: 'MIT',
  type: 'module',
  sideEffects: false,
  exports: {
    '.': { types: './types/client/index.d.ts', default: './index.js' },
    './react': { types: './types/client/react.d.ts', default: './react.js' },
  },
  types: './types/client/index.d.ts',
  peerDependencies: { react: '>=18', ws: '>=8' },
  peerDependenciesMeta: { react: { optional: true }, ws: { optional: true } },
  engines: { node: '>=20' },
}

async function packJs(outDir: string): Promise<string> {
  const pkg = mkdtempSync(join(tmpdir(), 'puo-client-pkg-'))
  const built = await Bun.build({
    entrypoints: [join(root, 'src/client/index.ts'), join(root, 'src/client/react.ts')],
    outdir: pkg,
    target: 'browser',
    format: 'esm',
    splitting: true,
    external: ['react'],
  })
  if (!built.success) throw new Error(built.logs.map(String).join('\n'))
  const types = join(pkg, 'types')
  run(
    [
      join(root, 'node_modules/.bin/tsc'),
      '--ignoreConfig',
      '--declaration',
      '--emitDeclarationOnly',
      '--strict',
      '--skipLibCheck',
      '--allowImportingTsExtensions',
      '--module',
      'preserve',
      '--moduleResolution',
      'bundler',
      '--target',
      'es2023',
      '--lib',
      'es2023,dom',
      '--types',
      '',
      '--rootDir',
      join(root, 'src'),
      '--outDir',
      types,
      join(root, 'src/client/index.ts'),
      join(root, 'src/client/react.ts'),
    ],
    root,
  )
  await declareSchemas(join(types, 'protocol'))
  // Declarations keep the sources' `.ts` specifiers; a consumer resolves `.js` to the `.d.ts` beside it.
  for (const dir of ['client', 'protocol']) {
    for (const f of readdirSync(join(types, dir))) {
      const file = join(types, dir, f)
      writeFileSync(
        file,
        readFileSync(file, 'utf8').replace(/(from\s+'\.{1,2}\/[^']+)\.ts'/g, "$1.js'"),
      )
    }
  }
  writeFileSync(join(pkg, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`)
  cpSync(join(root, 'src/client/pack/README.md'), join(pkg, 'README.md'))
  const out = run(['npm', 'pack', '--silent', '--pack-destination', outDir], pkg).trim()
  rmSync(pkg, { recursive: true, force: true })
  return join(outDir, out.split('\n').at(-1) as string)
}

/**
 * tsc declares the protocol's schema modules in terms of the schema library; the package instead
 * gets each schema as the plain type it describes (no dependency for the consumer).
 */
async function declareSchemas(dir: string): Promise<void> {
  const files = readdirSync(dir).filter((f) =>
    readFileSync(join(dir, f), 'utf8').includes('typebox'),
  )
  const modules = await Promise.all(
    files.map(async (f) => {
      const name = basename(f, '.d.ts')
      const exports = (await import(join(root, 'src/protocol', `${name}.ts`))) as Record<
        string,
        unknown
      >
      return { name, exports }
    }),
  )
  for (const [name, text] of declarationsOf(modules)) {
    writeFileSync(
      join(dir, `${name}.d.ts`),
      `// The wire contract's ${name} schemas as types.
${text}`,
    )
  }
  for (const f of readdirSync(dir)) {
    if (readFileSync(join(dir, f), 'utf8').includes('typebox'))
      throw new Error(`${f} still needs typebox`)
  }
}

/** Debian's python3 has pip, setuptools and wheel from the distribution; another on PATH may not. */
const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3'

function packPython(outDir: string): string {
  // Built from a copy, so setuptools' build/ and *.egg-info never land in the source tree.
  const src = mkdtempSync(join(tmpdir(), 'puo-client-py-'))
  cpSync(join(root, 'src/client/python'), src, { recursive: true })
  run(
    [
      python,
      '-m',
      'pip',
      'wheel',
      '--quiet',
      '--no-deps',
      '--no-build-isolation',
      '--wheel-dir',
      outDir,
      src,
    ],
    src,
  )
  rmSync(src, { recursive: true, force: true })
  const wheel = readdirSync(outDir).find((f) => f.startsWith('puo_memo-') && f.endsWith('.whl'))
  if (!wheel) throw new Error('no wheel was written')
  return join(outDir, wheel)
}

const target = process.argv[2]
if (!target) {
  console.error('usage: npm run pack:clients -- DIR')
  process.exit(2)
}
const outDir = resolve(target)
mkdirSync(outDir, { recursive: true })
console.log(await packJs(outDir))
console.log(packPython(outDir))
