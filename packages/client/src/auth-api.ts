/**
 * @module
 * The three calls to the BFF's auth routes, each answered with a classified outcome instead of a
 * thrown HTTP error, so the coordinator can tell "session over" from "network trouble".
 */
import ky from 'ky'
import {
  BatonError,
  RefreshNetworkError,
  SessionExpiredError,
  type BatonErrorCode,
  type SessionEndReason,
} from './errors.js'
import type { ClientConfig } from './options.js'
import type { SessionUser } from './store.js'

/** A token the BFF granted, with its expiry on this device's clock. */
export interface Grant<TUser extends SessionUser = SessionUser> {
  accessToken: string
  /** Epoch ms on this device's clock (computed from `expiresIn`, immune to clock skew). */
  expiresAt: number
  /** Lifetime in ms. */
  lifetime: number
  /** When this tab received it (epoch ms); orders grants from different tabs. */
  issuedAt: number
  user: TUser
  sessionId: string
}

/** @internal */
export type AuthOutcome<TUser extends SessionUser> =
  | { kind: 'granted'; grant: Grant<TUser> }
  | { kind: 'ended'; error: SessionExpiredError }
  | { kind: 'network'; error: RefreshNetworkError }
  | { kind: 'rejected'; error: BatonError }

const END_REASONS = new Set<string>([
  'no_session',
  'session_expired',
  'session_revoked',
  'refresh_token_reused',
])
const KNOWN_CODES = new Set<string>([
  'invalid_credentials',
  'invalid_request',
  'payload_too_large',
  'csrf_failed',
  'rate_limited',
])

const errorCode = (response: Response): Promise<string | undefined> =>
  response.json().then(
    (body: { error?: { code?: unknown } }) => body.error?.code as string | undefined,
    () => undefined,
  )

function parseGrant<TUser extends SessionUser>(body: unknown, now: number): Grant<TUser> | null {
  if (typeof body !== 'object' || body === null) return null
  const { accessToken, expiresIn, expiresAt, user, sessionId } = body as Record<string, unknown>
  if (typeof accessToken !== 'string' || typeof sessionId !== 'string') return null
  if (typeof user !== 'object' || user === null || typeof (user as SessionUser).id !== 'string')
    return null
  // Relative lifetime first: the device clock may be minutes off the server's.
  const lifetime =
    typeof expiresIn === 'number'
      ? expiresIn * 1000
      : typeof expiresAt === 'number'
        ? expiresAt - now
        : NaN
  if (!Number.isFinite(lifetime) || lifetime <= 0) return null
  return {
    accessToken,
    expiresAt: now + lifetime,
    lifetime,
    issuedAt: now,
    user: user as TUser,
    sessionId,
  }
}

/** @internal */
export function createAuthApi<TUser extends SessionUser>(config: ClientConfig) {
  const http = ky.create({
    prefixUrl: config.baseUrl,
    credentials: 'include',
    headers: { 'x-csrf': '1' },
    retry: 0,
    throwHttpErrors: false,
    timeout: config.requestTimeout,
    fetch: config.fetch,
  })

  // Aborted by destroy(), so a destroyed client holds no lock and no connection.
  const lifetime = new AbortController()

  const call = async (
    path: string,
    json?: unknown,
  ): Promise<AuthOutcome<TUser> | { kind: 'ok' }> => {
    let response: Response
    try {
      response = await http.post(path, { json, signal: lifetime.signal })
    } catch (cause) {
      return { kind: 'network', error: new RefreshNetworkError(undefined, { cause }) }
    }
    const status = response.status
    if (status === 204) return { kind: 'ok' }
    if (response.ok) {
      const grant = parseGrant<TUser>(await response.json().catch(() => null), Date.now())
      if (grant) return { kind: 'granted', grant }
      return {
        kind: 'network',
        error: new RefreshNetworkError('Unexpected BFF response.', { status }),
      }
    }
    // 5xx (503 store_unavailable) and 408 are passing trouble, never the end of a session; so is
    // a 429 on refresh. A 429 on login is the answer to show: `rate_limited`.
    if (status >= 500 || status === 408 || (status === 429 && path === 'refresh')) {
      return {
        kind: 'network',
        error: new RefreshNetworkError(`BFF answered ${status}.`, { status }),
      }
    }
    const code = await errorCode(response)
    if (status === 401 && path === 'refresh') {
      const reason = (
        code !== undefined && END_REASONS.has(code) ? code : 'no_session'
      ) as SessionEndReason
      return { kind: 'ended', error: new SessionExpiredError(reason, { status }) }
    }
    const known = (
      code !== undefined && KNOWN_CODES.has(code) ? code : 'request_failed'
    ) as BatonErrorCode
    return {
      kind: 'rejected',
      error: new BatonError(known, `BFF refused: ${code ?? status}.`, { status }),
    }
  }

  return {
    login: (credentials: { username: string; password: string }) =>
      call('login', credentials) as Promise<AuthOutcome<TUser>>,
    refresh: () => call('refresh') as Promise<AuthOutcome<TUser>>,
    logout: (everywhere: boolean) => call('logout', everywhere ? { everywhere } : undefined),
    abort: () => lifetime.abort(),
  }
}

/** @internal */
export type AuthApi<TUser extends SessionUser> = ReturnType<typeof createAuthApi<TUser>>
