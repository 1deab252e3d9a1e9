/**
 * @module
 * `baton.sessions`: the BFF's bearer-authenticated routes listing and revoking the user's
 * sessions (signed-in devices), sent through `baton.fetch`, with typed errors. The BFF may ask
 * for a recent sign-in before it ends sessions (step-up): the call then waits for it like any
 * request, its `requestTimeout` stopped meanwhile.
 */
import { AUTH_ROUTES, type SessionListBody, type SessionSummary } from '@baton/protocol'
import { exchange, failureOf, type PausableTimeout } from './bff-exchange.js'
import { BatonError, isBatonError, RefreshNetworkError } from './errors.js'
import type { Unchecked } from './grant.js'
import type { ClientConfig } from './options.js'

/**
 * The user's sessions (signed-in devices), as `client.sessions` manages them. Each call goes
 * through `client.fetch` (bearer token, queue, one retry after a 401) and is bounded by
 * `requestTimeout`, the wait for a token included (not the wait for the user's step-up, which
 * `stepUpTimeout` bounds).
 *
 * @example
 * ```ts
 * const devices = await baton.sessions.list()
 * for (const device of devices.filter((d) => !d.current)) await baton.sessions.revoke(device.id)
 * ```
 */
export interface SessionRoutes {
  /**
   * The user's live sessions, the current one flagged `current: true`. Rejects with a
   * `BatonError` (`SessionExpiredError` when signed out, `RefreshNetworkError` when the BFF cannot
   * be reached).
   */
  list(): Promise<SessionSummary[]>
  /**
   * Ends one of the user's sessions (signs a device out). Rejects with `BatonError('not_found')`
   * when the user has no such live session, and with `StepUpRequiredError` when the BFF wants a
   * recent sign-in and the step-up is cancelled or times out.
   */
  revoke(id: string): Promise<void>
  /**
   * Ends every session of the user except this one (`DELETE {base}/sessions?scope=others`): "sign
   * out all other devices". Rejects like {@link SessionRoutes.revoke}.
   */
  revokeOthers(): Promise<void>
}

/** @internal `client.fetch`, with a hook for the time the request waits for a step-up. */
export type StepUpAwareFetch = (
  url: string,
  init: RequestInit,
  onStepUp?: (waiting: boolean) => void,
) => Promise<Response>

/** @internal */
export function createSessionRoutes(
  config: ClientConfig,
  sessionFetch: StepUpAwareFetch,
): SessionRoutes {
  const base = `${config.baseUrl}/${AUTH_ROUTES.sessions}`
  const send = (url: string, init: RequestInit, timeout: PausableTimeout) =>
    sessionFetch(url, init, (waiting) => (waiting ? timeout.pause() : timeout.resume()))

  const call = async (url: string, method: 'GET' | 'DELETE') => {
    const answer = await exchange(config, send, url, { method })
    if ('failed' in answer) {
      const { failed } = answer
      throw isBatonError(failed) ? failed : new RefreshNetworkError(undefined, { cause: failed })
    }
    const { status, body, headers } = answer
    if (status < 200 || status > 299) {
      const request = { method, url, baseUrl: config.baseUrl }
      throw failureOf(status, body, false, request, headers, config.now()).error
    }
    return answer
  }

  return {
    async list() {
      const { status, body } = await call(base, 'GET')
      const { sessions } = (body ?? {}) as Unchecked<SessionListBody>
      if (!Array.isArray(sessions)) {
        throw new BatonError('request_failed', 'Unexpected BFF response.', { status })
      }
      return sessions as SessionSummary[]
    },
    async revoke(id) {
      await call(`${base}/${encodeURIComponent(id)}`, 'DELETE')
    },
    async revokeOthers() {
      await call(`${base}?scope=others`, 'DELETE')
    },
  }
}
