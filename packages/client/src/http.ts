/**
 * @module
 * The ky instances behind `baton.api` and `baton.fetch`. `beforeRequest` waits for a usable token
 * (queueing while a refresh runs in any tab) and attaches it; `afterResponse` turns a first 401
 * into one coordinated refresh and one retry with the new token.
 */
import ky, {
  type AfterResponseHook,
  type BeforeRequestHook,
  type KyInstance,
  type Options,
} from 'ky'
import { isBatonError } from './errors.js'
import type { RefreshCoordinator } from './refresh-coordinator.js'
import type { SessionUser } from './store.js'
import { clearTimer, setTimer } from './timers.js'

const bearerOf = (request: Request) =>
  /^Bearer (.+)$/.exec(request.headers.get('authorization') ?? '')?.[1]

/** @internal */
export function createHttp<TUser extends SessionUser>(
  coordinator: RefreshCoordinator<TUser>,
  apiOptions: Options,
  fetchImpl: typeof fetch,
) {
  const attachToken: BeforeRequestHook = async (request) => {
    request.headers.set(
      'authorization',
      `Bearer ${await coordinator.getAccessToken(request.signal)}`,
    )
  }

  // The retry is sent here rather than with `ky.retry()`: ky counts forced retries against
  // `retry.limit`, so with `retry: 0` the token refresh would surface as an error. This way the
  // request is retried exactly once, whatever the retry settings.
  const retryOnceAfter401 =
    (send: typeof fetch, timeout: number | false): AfterResponseHook =>
    async (request, _options, response) => {
      const used = bearerOf(request)
      if (response.status !== 401 || used === undefined) return
      const token = await coordinator.tokenAfterUnauthorized(used, request.signal)
      const controller = new AbortController()
      const abort = () => controller.abort(request.signal.reason)
      request.signal.addEventListener('abort', abort, { once: true })
      const timer =
        timeout === false
          ? undefined
          : setTimer(
              () => controller.abort(new DOMException('The retry timed out.', 'TimeoutError')),
              timeout,
            )
      try {
        const retry = new Request(request, { signal: controller.signal })
        retry.headers.set('authorization', `Bearer ${token}`)
        return await send(retry)
      } finally {
        clearTimer(timer)
        request.signal.removeEventListener('abort', abort)
      }
    }

  const userRetry =
    typeof apiOptions.retry === 'number' ? { limit: apiOptions.retry } : (apiOptions.retry ?? {})
  const hooks = apiOptions.hooks ?? {}

  const apiFetch = apiOptions.fetch ?? fetchImpl
  const api: KyInstance = ky.create({
    ...apiOptions,
    fetch: apiFetch,
    // Session errors already waited their turn in the queue; ky must not retry them.
    retry: {
      ...userRetry,
      shouldRetry: (state) => (isBatonError(state.error) ? false : userRetry.shouldRetry?.(state)),
    },
    hooks: {
      ...hooks,
      beforeRequest: [attachToken, ...(hooks.beforeRequest ?? [])],
      afterResponse: [
        retryOnceAfter401(apiFetch, apiOptions.timeout ?? 10_000),
        ...(hooks.afterResponse ?? []),
      ],
    },
  })

  const plain = ky.create({
    fetch: fetchImpl,
    throwHttpErrors: false,
    retry: 0,
    timeout: false,
    hooks: { beforeRequest: [attachToken], afterResponse: [retryOnceAfter401(fetchImpl, false)] },
  })

  /** `fetch` with Baton's token handling; resolves with the Response like `fetch` (no throw on 4xx/5xx). */
  const fetchWithSession = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> =>
    plain(input, init as Options)

  return { api, fetch: fetchWithSession }
}
