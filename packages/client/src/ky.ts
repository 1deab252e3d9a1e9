/**
 * @module
 * `@baton/client/ky`: a ky instance on top of `baton.fetch`, for apps that call their API with
 * ky. The core client does not import ky, so an app that does not use it does not ship it.
 */
import ky, { type KyInstance, type Options } from 'ky'
import type { SessionClient } from './client.js'
import { isBatonError } from './errors.js'

/** ky's options, except `fetch`: requests always go through the client's `fetch`. */
export type KyOptions = Omit<Options, 'fetch'>

/**
 * A ky instance whose requests go through `client.fetch`: they carry the bearer token, wait while
 * a refresh runs in any tab, and a first 401 is refreshed and retried once (a second 401 throws
 * ky's `HTTPError`). Baton's errors (`SessionExpiredError`, `RefreshNetworkError`, …) are never
 * retried by ky: they already waited their turn in the queue. ky's `timeout` (10 s by default)
 * covers the whole call, the wait for a token included.
 *
 * @param client - The session client.
 * @param options - ky's options (`prefixUrl`, `retry`, `hooks`, …), except `fetch`.
 *
 * @example
 * ```ts
 * import { createSessionClient } from '@baton/client'
 * import { createKy, HTTPError } from '@baton/client/ky'
 *
 * export const baton = createSessionClient()
 * export const api = createKy(baton, { prefixUrl: '/api' })
 *
 * const notes = await api.get('notes').json<Note[]>()
 * ```
 */
export function createKy(
  client: Pick<SessionClient, 'fetch'>,
  options: KyOptions = {},
): KyInstance {
  const retry = typeof options.retry === 'number' ? { limit: options.retry } : (options.retry ?? {})
  return ky.create({
    ...options,
    // The 401 → refresh → retry happens inside `client.fetch`, under ky, rather than in an
    // `afterResponse` hook returning `ky.retry()`: ky 1.14 counts forced retries against
    // `retry.limit`, so with `retry: 0` the refresh would surface as an error.
    fetch: client.fetch,
    retry: {
      ...retry,
      shouldRetry: (state) => (isBatonError(state.error) ? false : retry.shouldRetry?.(state)),
    },
    hooks: {
      ...options.hooks,
      // A `retry` given per call or to `extend()` replaces the whole object above, `shouldRetry`
      // with it; hooks are appended instead, so this one always runs. It runs after ky's backoff
      // delay, and sends nothing again.
      beforeRetry: [
        ({ error }) => {
          if (isBatonError(error)) throw error
        },
        ...(options.hooks?.beforeRetry ?? []),
      ],
    },
  })
}

export { HTTPError, TimeoutError } from 'ky'
