// `npm run cli -- <command>`: mint development tokens and manage API keys from a shell.
import { createApiKey, listKeys, revokeKey } from '../api-keys/service.ts'
import { signToken } from '../auth/jwt.ts'
import { ID_PATTERN, parseScopes } from '../auth/principal.ts'
import { resolveJwtSecret } from '../config/dev-secret.ts'
import { ConfigError, loadConfig } from '../config/load.ts'
import { configTable } from '../config/table.ts'
import { DataDirBusyError } from '../db/data-dir-lock.ts'
import { openDatabase } from '../db/index.ts'
import { databaseConfig } from '../settings.ts'
import { asFlags, parseArgs, parseDuration } from './args.ts'
import { callServer, RemoteError } from './remote.ts'

const USAGE = `Usage:
  cli config                     print every environment variable with its default
  cli token --tenant <id> --user <id> [--ttl 1h] [--name <display name>] [--scope "read write admin"]
  cli api-key create --tenant <id> --user <id> --name <label> [--scope "read write"] [--url <server>]
  cli api-key list --tenant <id> [--url <server>]
  cli api-key revoke --tenant <id> <key id or prefix> [--url <server>]

Reads the same environment as the server (DATABASE_URL, DATA_DIR, JWT_SECRET).
api-key commands open the database themselves, unless --url names a running server: then they go
over its HTTP API with an admin token signed with the same secret. With the embedded database only
one process may open DATA_DIR, so while the server runs, use --url.`

class UsageError extends Error {}

function required(flags: Map<string, string>, name: string): string {
  const v = flags.get(name)
  if (!v || v === 'true') throw new UsageError(`--${name} is required`)
  return v
}

function id(flags: Map<string, string>, name: string): string {
  const v = required(flags, name)
  if (!ID_PATTERN.test(v))
    throw new UsageError(`--${name} must be 1–128 characters of A-Z a-z 0-9 . _ : @ | + -`)
  return v
}

function scopes(flags: Map<string, string>) {
  const s = parseScopes(flags.get('scope'))
  if (!s) throw new UsageError('--scope takes any of: read write admin')
  return s
}

async function run(argv: string[]): Promise<void> {
  const { positionals, flags, repeated } = parseArgs(argv)
  if (repeated.length > 0) throw new UsageError(`${asFlags(repeated)} given more than once`)
  const [command, sub, arg] = positionals
  if (command === 'config') {
    console.log(configTable())
    return
  }
  const config = loadConfig()
  if (command === 'token') {
    const ttl = parseDuration(flags.get('ttl') ?? '1h')
    if (ttl === null) throw new UsageError('--ttl must look like 90s, 15m, 1h or 7d')
    const name = flags.get('name')
    const token = await signToken(resolveJwtSecret(config).value, {
      tenantId: id(flags, 'tenant'),
      userId: id(flags, 'user'),
      scopes: scopes(flags),
      ttlSeconds: ttl,
      ...(name ? { name } : {}),
    })
    console.log(token)
    return
  }
  if (command !== 'api-key' || !sub)
    throw new UsageError(command ? `unknown command "${command}"` : 'no command given')
  const tenantId = id(flags, 'tenant')
  const url = flags.get('url')
  if (url) return apiKeysOverHttp(url, resolveJwtSecret(config).value, tenantId, sub, arg, flags)
  const database = await openDatabase(databaseConfig(config))
  try {
    await database.migrate()
    if (sub === 'create') {
      const key = await createApiKey(database.db, {
        tenantId,
        userId: id(flags, 'user'),
        name: required(flags, 'name'),
        scopes: scopes(flags),
      })
      printKey(key)
    } else if (sub === 'list') {
      console.log(JSON.stringify(await listKeys(database.db, tenantId), null, 2))
    } else if (sub === 'revoke') {
      if (!arg) throw new UsageError('revoke needs the key id or prefix')
      const revoked = await revokeKey(database.db, tenantId, arg)
      if (!revoked) throw new UsageError(`no API key "${arg}" in tenant "${tenantId}"`)
      console.log(JSON.stringify(revoked, null, 2))
    } else throw new UsageError(`unknown api-key command "${sub}"`)
  } finally {
    await database.close()
  }
}

function printKey(key: unknown): void {
  console.log(JSON.stringify(key, null, 2))
  console.error('Store the key now: it is not shown again.')
}

/** The same commands through a running server's /api/v4/api-keys (it announces revocations too). */
async function apiKeysOverHttp(
  url: string,
  secret: string,
  tenantId: string,
  sub: string,
  arg: string | undefined,
  flags: Map<string, string>,
): Promise<void> {
  const token = await signToken(secret, {
    tenantId,
    userId: 'cli',
    scopes: ['admin'],
    ttlSeconds: 60,
  })
  if (sub === 'create') {
    const body = { name: required(flags, 'name'), userId: id(flags, 'user'), scopes: scopes(flags) }
    return printKey(await callServer(url, token, 'POST', '/api/v4/api-keys', body))
  }
  if (sub === 'list') {
    const { data } = (await callServer(url, token, 'GET', '/api/v4/api-keys')) as { data: unknown }
    return console.log(JSON.stringify(data, null, 2))
  }
  if (sub === 'revoke') {
    if (!arg) throw new UsageError('revoke needs the key id or prefix')
    const path = `/api/v4/api-keys/${encodeURIComponent(arg)}`
    return console.log(JSON.stringify(await callServer(url, token, 'DELETE', path), null, 2))
  }
  throw new UsageError(`unknown api-key command "${sub}"`)
}

try {
  await run(process.argv.slice(2))
} catch (err) {
  if (err instanceof UsageError || err instanceof ConfigError) {
    console.error(`error: ${err.message}\n\n${USAGE}`)
    process.exit(2)
  }
  if (err instanceof DataDirBusyError || err instanceof RemoteError) {
    console.error(`error: ${err.message}`)
    process.exit(1)
  }
  throw err
}
