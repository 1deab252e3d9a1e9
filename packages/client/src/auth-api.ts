/**
 * @module
 * The calls to the BFF's cookie routes (login, refresh, logout) with plain `fetch`, each answered
 * with a classified outcome instead of a thrown HTTP error, so the coordinator can tell "session
 * over" from "network trouble"; and the one reading of a BFF error body, shared with the session
 * routes.
 */
import {
  ACTIVITY_HEADER,
  AUTH_ROUTES,
  CSRF_HEADER,
  CSRF_HEADER_VALUE,
  type LoginBody,
  type SessionEndCode,
  type BaseUser,
} from '@baton/protocol'
import { classOf, type RejectedCode } from './auth-codes.js'
import {
  BatonError,
  RefreshNetworkError,
  SessionExpiredError,
  type BatonErrorCode,
} from './errors.js'
import { isObject, parseGrant, type Grant } from './grant.js'
import type { ClientConfig } from './options.js'
import { clearTimer, setTimer } from './timers.js'

/** @internal */
export type Failure =
  | { kind: 'ended'; error: SessionExpiredError }
  | { kind: 'network'; error: RefreshNetworkError }
  | {
      kind: 'rejected'
      error: BatonError<Exclude<BatonErrorCode, 'session_expired' | 'network_unavailable'>>
    }

/** @internal */
export type AuthOutcome<TUser extends BaseUser> = { kind: 'granted'; grant: Grant<TUser> } | Failure

const field = (value: unknown, key: string): unknown => (isObject(value) ? value[key] : undefined)

/** @internal What came back from the BFF: a status and a JSON body (`undefined` if none). */
export type Answer = { status: number; body: unknown } | { failed: unknown }

/**
 * @internal One call to the BFF, bounded by `requestTimeout` (reading the body included: one that
 * never ends must not hold the lock) and aborted with `lifetime`. Never throws: a failed `fetch`
 * (network, timeout, abort) is `{ failed }`.
 */
export async function exchange(
  config: ClientConfig,
  send: (url: string, init: RequestInit) => Promise<Response>,
  url: string,
  init: RequestInit,
  lifetime?: AbortSignal,
): Promise<Answer> {
  const controller = new AbortController()
  const abort = () => controller.abort()
  lifetime?.addEventListener('abort', abort)
  const timer = setTimer(abort, config.requestTimeout)
  try {
    const response = await send(url, { ...init, signal: controller.signal })
    // No body, or not JSON (a proxy's HTML error page): the status alone tells.
    const body: unknown = await response.json().catch(() => undefined)
    return { status: response.status, body }
  } catch (failed) {
    return { failed }
  } finally {
    clearTimer(timer)
    lifetime?.removeEventListener('abort', abort)
  }
}

/** @internal The call a failure answered, named in its message when the BFF did not explain it. */
export interface RequestOf {
  method: string
  url: string
  baseUrl: string
}

/**
 * @internal What a non-2xx answer of the BFF means, from its status and `{ error: { code,
 * message } }` body. The BFF's message and code are kept on the error as they were sent. A 4xx
 * without that body did not come from the BFF's routes (a 404 page, a proxy): with `request`, the
 * message names the call and asks about `baseUrl`, the usual cause (issue 19).
 */
export function failureOf(
  status: number,
  body: unknown,
  isRefresh: boolean,
  request?: RequestOf,
): Failure {
  const code = field(field(body, 'error'), 'code')
  const text = field(field(body, 'error'), 'message')
  const serverCode = typeof code === 'string' ? code : undefined
  const said = typeof text === 'string' && text !== '' ? text : undefined
  const notOurs =
    request !== undefined && serverCode === undefined && said === undefined && status < 500
      ? `${request.method} ${request.url} answered ${status} without a Baton error body: ` +
        `is baseUrl (${JSON.stringify(request.baseUrl)}) the BFF's auth path?`
      : undefined
  const message = said ?? notOurs ?? `The BFF answered ${status}.`
  const options = serverCode === undefined ? { status } : { status, serverCode }
  const kind = classOf(serverCode)
  // 5xx (503 store_unavailable) and 408 are passing trouble, never the end of a session; so is
  // a 429 on refresh. A 429 on login is the answer to show: `rate_limited`.
  if (kind === 'transient' || status >= 500 || status === 408 || (status === 429 && isRefresh)) {
    return { kind: 'network', error: new RefreshNetworkError(message, options) }
  }
  if (kind === 'ended' || (status === 401 && isRefresh)) {
    const reason = kind === 'ended' ? (serverCode as SessionEndCode) : 'no_session'
    const error = new SessionExpiredError(reason, said ? { ...options, message: said } : options)
    return { kind: 'ended', error }
  }
  const known = kind === 'rejected' ? (serverCode as RejectedCode) : 'request_failed'
  return { kind: 'rejected', error: new BatonError(known, message, options) }
}

/** @internal */
export function createAuthApi<TUser extends BaseUser>(config: ClientConfig) {
  // Aborted by destroy(), so a destroyed client holds no lock and no connection.
  const lifetime = new AbortController()

  const call = async (
    route: 'login' | 'refresh' | 'logout',
    json?: unknown,
    activity?: boolean,
  ): Promise<AuthOutcome<TUser> | { kind: 'ok' }> => {
    const headers: Record<string, string> = { [CSRF_HEADER]: CSRF_HEADER_VALUE }
    if (json !== undefined) headers['content-type'] = 'application/json'
    if (activity) headers[ACTIVITY_HEADER] = '1'
    const url = `${config.baseUrl}/${AUTH_ROUTES[route]}`
    const answer = await exchange(
      config,
      config.fetch,
      url,
      { method: 'POST', credentials: 'include', headers, body: JSON.stringify(json) },
      lifetime.signal,
    )
    if ('failed' in answer) {
      return {
        kind: 'network',
        error: new RefreshNetworkError(undefined, { cause: answer.failed }),
      }
    }
    const { status, body } = answer
    if (status === 204) return { kind: 'ok' }
    if (status < 200 || status > 299)
      return failureOf(status, body, route === 'refresh', {
        method: 'POST',
        url,
        baseUrl: config.baseUrl,
      })
    const grant = parseGrant<TUser>(body, config.now())
    if (grant) return { kind: 'granted', grant }
    return {
      kind: 'network',
      error: new RefreshNetworkError('Unexpected BFF response.', { status }),
    }
  }

  return {
    login: (credentials: LoginBody) => call('login', credentials) as Promise<AuthOutcome<TUser>>,
    /** `activity`: the user was active since the last refresh that said so (it extends the idle deadline). */
    refresh: (activity: boolean) =>
      call('refresh', undefined, activity) as Promise<AuthOutcome<TUser>>,
    logout: (everywhere: boolean) => call('logout', everywhere ? { everywhere } : undefined),
    abort: () => lifetime.abort(),
  }
}

/** @internal */
export type AuthApi<TUser extends BaseUser> = ReturnType<typeof createAuthApi<TUser>>
