// The environment variables PUO Memo reads: one entry per key, with its default and a one-line doc.

/** A parser turns the raw string into a value or returns an error message. */
type Parse<T> = (raw: string) => { value: T } | { error: string }

export interface Setting<T, D extends string | undefined = string | undefined> {
  /** One line for the README table and `--help`. */
  doc: string
  /** Used when the variable is unset or empty; `undefined` means "optional, no default". */
  default: D
  parse: Parse<T>
}

const str: Parse<string> = (raw) => ({ value: raw })

const int =
  (min: number, max: number): Parse<number> =>
  (raw) => {
    const n = Number(raw)
    return Number.isInteger(n) && n >= min && n <= max
      ? { value: n }
      : { error: `must be an integer from ${min} to ${max}, got "${raw}"` }
  }

const oneOf =
  <const T extends string>(...choices: T[]): Parse<T> =>
  (raw) =>
    (choices as string[]).includes(raw)
      ? { value: raw as T }
      : { error: `must be one of ${choices.join(', ')}, got "${raw}"` }

const url =
  (...protocols: string[]): Parse<string> =>
  (raw) => {
    try {
      const u = new URL(raw)
      if (protocols.includes(u.protocol)) return { value: raw }
      return { error: `must be a ${protocols.join(' or ')} URL` }
    } catch {
      return { error: 'must be a URL' }
    }
  }

const bool: Parse<boolean> = (raw) =>
  raw === 'true' || raw === '1'
    ? { value: true }
    : raw === 'false' || raw === '0'
      ? { value: false }
      : { error: `must be true or false, got "${raw}"` }

const ratio: Parse<number> = (raw) => {
  const n = Number(raw)
  return raw !== '' && Number.isFinite(n) && n >= 0 && n <= 1
    ? { value: n }
    : { error: `must be a number from 0 to 1, got "${raw}"` }
}

const secret: Parse<string> = (raw) =>
  raw.length >= 32 ? { value: raw } : { error: 'must be at least 32 characters long' }

function setting<T, const D extends string | undefined>(
  doc: string,
  def: D,
  parse: Parse<T>,
): Setting<T, D> {
  return { doc, default: def, parse }
}

export const settings = {
  NODE_ENV: setting(
    '`development`, `production` or `test`; production refuses to boot without JWT_SECRET',
    'development',
    oneOf('development', 'production', 'test'),
  ),
  HOST: setting('Interface the HTTP server binds to', '0.0.0.0', str),
  PORT: setting('HTTP port (0 picks a free port)', '3000', int(0, 65535)),
  DATA_DIR: setting(
    'Directory for the embedded database and the generated dev secret',
    './data',
    str,
  ),
  DATABASE_URL: setting(
    'PostgreSQL URL; unset means the embedded PGlite database under DATA_DIR',
    undefined,
    url('postgres:', 'postgresql:'),
  ),
  DATABASE_POOL_SIZE: setting(
    'PostgreSQL connections per instance (one more is kept for creates)',
    '10',
    int(1, 200),
  ),
  REDIS_URL: setting(
    'Redis URL for the bus between instances; unset means one instance with an in-process bus',
    undefined,
    url('redis:', 'rediss:'),
  ),
  REDIS_MODE: setting(
    '`single` (one Redis, PUBLISH/SUBSCRIBE) or `cluster` (Redis Cluster, sharded SPUBLISH/SSUBSCRIBE; REDIS_URL is any node)',
    'single',
    oneOf('single', 'cluster'),
  ),
  JWT_SECRET: setting(
    'HS256 secret for JWTs (≥ 32 chars); unset in development generates one into DATA_DIR',
    undefined,
    secret,
  ),
  LOG_LEVEL: setting(
    '`debug`, `info`, `warn`, `error` or `silent`',
    'info',
    oneOf('debug', 'info', 'warn', 'error', 'silent'),
  ),
  BODY_LIMIT: setting(
    'Largest accepted request body, in bytes',
    '1048576',
    int(1024, 64 * 1048576),
  ),
  JSON_MAX_DEPTH: setting(
    'Deepest nesting of objects and arrays in a JSON value a client sends (metadata, frame data); deeper answers 422',
    '32',
    int(1, 256),
  ),
  HTTP_MAX_HEADER_BYTES: setting(
    'Largest accepted request head (request line and headers), in bytes; larger answers 431',
    '16384',
    int(1024, 1_048_576),
  ),

  INSTANCE_ID: setting(
    'Name of this instance in health and events; random when unset',
    undefined,
    str,
  ),
  EMBEDDING_URL: setting(
    'OpenAI-compatible embeddings endpoint (…/v1/embeddings), called by the embedding worker; unset uses the local embedder, which embeds in the write itself',
    undefined,
    url('http:', 'https:'),
  ),
  EMBEDDING_MODEL: setting('Model name sent to EMBEDDING_URL', 'text-embedding-3-small', str),
  EMBEDDING_API_KEY: setting('Bearer key sent to EMBEDDING_URL', undefined, str),
  EMBEDDING_DIMENSIONS: setting('Vector size of the local embedder', '256', int(8, 4096)),
  EMBEDDING_BATCH_SIZE: setting(
    'Memories embedded per request to the embedder (the worker’s batches)',
    '16',
    int(1, 256),
  ),
  WEBSOCKET_MAX_CONNECTIONS: setting(
    'WebSocket connections per instance; more are refused with 503',
    '10000',
    int(1, 1_000_000),
  ),
  WEBSOCKET_MAX_CONNECTIONS_PER_TENANT: setting(
    'WebSocket connections per tenant per instance; more are refused with 429',
    '5000',
    int(1, 1_000_000),
  ),
  WEBSOCKET_MAX_CONNECTIONS_PER_USER: setting(
    'WebSocket connections per user per instance; more are refused with 429',
    '50',
    int(1, 100_000),
  ),
  WEBSOCKET_RATE_LIMIT: setting(
    'Client messages per second per connection (sustained)',
    '20',
    int(1, 10_000),
  ),
  WEBSOCKET_RATE_BURST: setting(
    'Client messages a connection may send at once',
    '40',
    int(1, 100_000),
  ),
  WEBSOCKET_MAX_MESSAGE_BYTES: setting(
    'Largest client frame; a larger one closes the connection with 1009',
    '16384',
    int(128, 16 * 1048576),
  ),
  WEBSOCKET_BACKPRESSURE_LIMIT: setting(
    'Bytes queued for a slow client before it is closed with 1013',
    '1048576',
    int(16384, 256 * 1048576),
  ),
  WEBSOCKET_PING_INTERVAL: setting('Seconds between server pings', '30', int(1, 3600)),
  WEBSOCKET_TIMEOUT: setting(
    'Seconds a connection may stay silent (no message, no pong) before it is closed',
    '300',
    int(2, 86_400),
  ),
  WEBSOCKET_ALLOWED_ORIGINS: setting(
    'Comma-separated Origin allow-list for WebSocket upgrades; empty allows any',
    '',
    str,
  ),
  PRESENCE_TTL_MS: setting(
    "How long a user's presence lasts without a refresh: a crashed instance's users go offline within it",
    '30000',
    int(150, 3_600_000),
  ),
  PRESENCE_GRACE_MS: setting(
    'How long a user stays online after their last socket closed (a reconnect within it does not flap)',
    '5000',
    int(0, 600_000),
  ),
  EVENT_SYNC_INTERVAL_MS: setting(
    'How often each instance compares its tenants with the event log to fill what the bus missed',
    '1000',
    int(50, 600_000),
  ),
  EVENT_RETENTION_HOURS: setting(
    'How long the event log keeps events; resuming from older positions answers resume_unavailable',
    '168',
    int(1, 87_600),
  ),
  METRICS_ENABLED: setting(
    'Serve Prometheus metrics at GET /metrics (`true` or `false`)',
    'true',
    bool,
  ),
  METRICS_PORT: setting(
    'Serve /metrics on this port only (not on PORT); unset keeps it on PORT',
    undefined,
    int(1, 65535),
  ),
  OTEL_EXPORTER_OTLP_ENDPOINT: setting(
    'OTLP/HTTP collector base URL (…:4318); when set, metrics and traces are pushed to /v1/metrics and /v1/traces',
    undefined,
    url('http:', 'https:'),
  ),
  OTEL_SERVICE_NAME: setting('service.name of exported metrics and traces', 'puo-memo', str),
  OTEL_METRIC_EXPORT_INTERVAL: setting(
    'Milliseconds between OTLP metric pushes',
    '60000',
    int(100, 3_600_000),
  ),
  OTEL_TRACES_SAMPLE_RATIO: setting(
    "Share of new traces recorded (0 to 1); a caller's traceparent decision is always followed",
    '1',
    ratio,
  ),
  OTEL_TRACE_PROBES: setting(
    'Also trace health probes (/health…) and metric scrapes (/metrics) (`true` or `false`)',
    'false',
    bool,
  ),
  SHUTDOWN_TIMEOUT_MS: setting(
    'How long a SIGTERM drain may take before exit',
    '10000',
    int(0, 600000),
  ),
  SHUTDOWN_RECONNECT_SPREAD_MS: setting(
    'On shutdown, each client is told to reconnect after a random delay of up to this long',
    '10000',
    int(0, 600000),
  ),
} as const

export type Settings = typeof settings
export type SettingKey = keyof Settings
