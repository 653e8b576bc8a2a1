// Wire constants shared by server and clients (no dependencies: the SDK imports them at run time):
// the protocol version, channel names, close codes (reconnect or stop) and error codes.

export const PROTOCOL_VERSION = 1

/** What a socket can subscribe to: memory events, and who is online in the tenant. */
export const CHANNELS = ['memories', 'tenant'] as const
export type Channel = (typeof CHANNELS)[number]

export const isChannel = (channel: unknown): channel is Channel =>
  (CHANNELS as readonly unknown[]).includes(channel)

/**
 * WebSocket close codes. A client reconnects (with backoff, and with `since` to resume) after every
 * code except those in TERMINAL_CLOSE_CODES. 1012 and 1013 carry a reason JSON
 * `{"retryAfterMs": n}`: wait that long first.
 */
export const CloseCode = {
  /** The client or server ended the session on purpose. */
  normal: 1000,
  /** The server is going away for good (not used on restart; see serviceRestart). */
  goingAway: 1001,
  /** Repeated rate-limit violations. Reconnect with backoff. */
  policyViolation: 1008,
  /** A frame was larger than the limit. Reconnect; do not resend that frame. */
  messageTooBig: 1009,
  /** Unexpected server error. Reconnect with backoff. */
  internalError: 1011,
  /** The instance is restarting (graceful shutdown). Reconnect after `retryAfterMs`. */
  serviceRestart: 1012,
  /** The client fell too far behind (slow consumer) or the server is overloaded. Reconnect after `retryAfterMs`. */
  tryAgainLater: 1013,
  /** The JWT expired while connected. Reconnect with a fresh token. */
  tokenExpired: 4001,
  /** Nothing (not even a pong) arrived within the heartbeat timeout. Reconnect. */
  heartbeatTimeout: 4002,
  /**
   * Terminal: the credential was refused at connect (invalid, expired, revoked). Sent only to clients
   * that asked with `auth_errors=close`; others get HTTP 401 on the upgrade. Reason: why.
   */
  authFailed: 4401,
  /**
   * Terminal: the credential was withdrawn (API key revoked, or the user disconnected by an admin).
   * Do not reconnect with the same credential.
   */
  credentialRevoked: 4403,
} as const
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode]

/** 4400–4499: closes after which the client must not reconnect with the same credential. */
export function isTerminalClose(code: number): boolean {
  return code >= 4400 && code <= 4499
}

/** Codes carried by `error` frames; the connection stays open after each of them. */
export const ErrorCode = {
  invalidJson: 'invalid_json',
  invalidFrame: 'invalid_frame',
  unknownType: 'unknown_type',
  unknownChannel: 'unknown_channel',
  rateLimited: 'rate_limited',
  /** `since` is older than the log keeps (or too far behind): refetch over REST, subscribe without it. */
  resumeUnavailable: 'resume_unavailable',
  internalError: 'internal_error',
} as const
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]
