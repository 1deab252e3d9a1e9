/**
 * @module
 * `baton.fetch`: `fetch` with the session's token. It waits for a usable token (queueing while a
 * refresh runs in any tab), sends it as a bearer token, and turns a first 401 into one coordinated
 * refresh and exactly one retry with the new token; a second 401 is returned as it is.
 */
import type { SessionUser } from '@baton/protocol'
import type { RefreshCoordinator } from './refresh-coordinator.js'

/** @internal */
export function createSessionFetch<TUser extends SessionUser>(
  coordinator: RefreshCoordinator<TUser>,
  transport: typeof fetch,
) {
  const send = (request: Request, token: string) => {
    request.headers.set('authorization', `Bearer ${token}`)
    return transport(request)
  }

  /** `fetch` with Baton's token handling; resolves with the Response like `fetch`. */
  return async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init)
    // The retry needs the body again, and sending consumes it: keep a copy made beforehand.
    const spare = request.body === null ? null : request.clone()
    const token = await coordinator.getAccessToken(request.signal)
    const response = await send(request, token)
    if (response.status !== 401) return response
    // Nobody reads the refused answer; let its connection go.
    void response.body?.cancel().catch(() => {})
    const next = await coordinator.tokenAfterUnauthorized(token, request.signal)
    return send(spare ?? new Request(request), next)
  }
}
