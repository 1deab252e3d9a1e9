/**
 * @module
 * `baton.sessions`: the BFF's bearer-authenticated routes listing and revoking the user's
 * sessions (signed-in devices), sent through `baton.fetch`, with typed errors.
 */
import { AUTH_ROUTES, type SessionListBody, type SessionSummary } from '@baton/protocol'
import { exchange, failureOf } from './auth-api.js'
import { BatonError, isBatonError, RefreshNetworkError } from './errors.js'
import type { Unchecked } from './grant.js'
import type { ClientConfig } from './options.js'

/**
 * The user's sessions (signed-in devices), as `client.sessions` manages them. Each call goes
 * through `client.fetch` (bearer token, queue, one retry after a 401) and is bounded by
 * `requestTimeout`, the wait for a token included.
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
   * when the user has no such live session.
   */
  revoke(id: string): Promise<void>
}

/** @internal */
export function createSessionRoutes(
  config: ClientConfig,
  sessionFetch: (url: string, init: RequestInit) => Promise<Response>,
): SessionRoutes {
  const base = `${config.baseUrl}/${AUTH_ROUTES.sessions}`

  const call = async (url: string, method: 'GET' | 'DELETE') => {
    const answer = await exchange(config, sessionFetch, url, { method })
    if ('failed' in answer) {
      const { failed } = answer
      throw isBatonError(failed) ? failed : new RefreshNetworkError(undefined, { cause: failed })
    }
    const { status, body } = answer
    if (status < 200 || status > 299)
      throw failureOf(status, body, false, { method, url, baseUrl: config.baseUrl }).error
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
  }
}
