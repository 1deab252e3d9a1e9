/**
 * @module
 * `baton.fetch`: `fetch` with the session's token. It waits for a usable token (queueing while a
 * refresh runs in any tab), sends it as a bearer token, and turns a first 401 into one coordinated
 * refresh and exactly one retry with the new token; a second 401 is returned as it is. Only
 * requests to the allowed origins (`tokenOrigins`) are touched: a bearer token is as good as the
 * session to whoever receives it, so a third party gets none, and its 401 says nothing about
 * this session (issue 12, L4).
 */
import type { BaseUser } from '@baton/protocol'
import type { ClientConfig } from './options.js'
import type { RefreshCoordinator } from './refresh-coordinator.js'

/** @internal */
export function createSessionFetch<TUser extends BaseUser>(
  coordinator: RefreshCoordinator<TUser>,
  { fetch: transport, tokenOrigins }: Pick<ClientConfig, 'fetch' | 'tokenOrigins'>,
) {
  const send = (request: Request, token: string) => {
    request.headers.set('authorization', `Bearer ${token}`)
    return transport(request)
  }

  /** `fetch` with Baton's token handling; resolves with the Response like `fetch`. */
  return async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init)
    // Where the request starts is what counts: on a redirect to another origin the Fetch standard
    // drops `Authorization` ("CORS non-wildcard request-header name").
    if (!tokenOrigins.includes(new URL(request.url).origin)) return transport(request)
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
