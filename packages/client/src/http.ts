/**
 * @module
 * `baton.fetch`: `fetch` with the session's token. It waits for a usable token (queueing while a
 * refresh runs in any tab), sends it as a bearer token, and turns a first 401 into one coordinated
 * refresh and exactly one retry with the new token; a second 401 is returned as it is. Only
 * requests to the allowed origins (`tokenOrigins`) are touched: a bearer token is as good as the
 * session to whoever receives it, so a third party gets none, and its 401 says nothing about
 * this session (issue 12, L4).
 *
 * A 401 with a step-up challenge (RFC 9470: the token is fine, the sign-in too old or too weak) is
 * no reason to refresh: the request waits for a step-up (`step-up.ts`) and is retried once after
 * it. Each remedy is tried at most once per request.
 *
 * A token bound to the device key (`cnf.jkt`, RFC 9449) goes as `Authorization: DPoP <token>`
 * with a proof carrying `ath`; a `401` asking for a nonce (`use_dpop_nonce`) is answered by
 * sending the request once more with a proof that has it, with the same token.
 */
import { DPOP_HEADER, DPOP_NONCE_HEADER, type BaseUser } from '@baton/protocol'
import type { Dpop } from './dpop.js'
import { boundTo, payloadOf } from './dpop-proof.js'
import { SessionExpiredError } from './errors.js'
import type { ClientConfig } from './options.js'
import type { RefreshCoordinator } from './refresh-coordinator.js'
import { challengeOfResponse } from './step-up-challenge.js'
import type { StepUp } from './step-up.js'

/**
 * @internal Checks the tokens a call gets against the user it was made as, read now, before it
 * waits for any: a sign-in meanwhile (here or in another tab) makes another user's token the
 * tab's, but the call was the old session's, which that sign-in ended, and must not go out as
 * them (`session_revoked`). One made before any session is known (a page's first request) is made
 * as the user the page finds.
 */
export function callerTokens(coordinator: Pick<RefreshCoordinator<BaseUser>, 'current'>) {
  let user = payloadOf(coordinator.current()?.accessToken ?? '')?.sub
  return (token: string) => {
    const sub = payloadOf(token)?.sub
    if (sub !== (user ??= sub))
      throw new SessionExpiredError('session_revoked', {
        message: 'Another sign-in replaced the session.',
      })
    return token
  }
}

/** @internal */
export function createSessionFetch<TUser extends BaseUser>(
  coordinator: RefreshCoordinator<TUser>,
  stepUp: Pick<StepUp, 'wait'>,
  { fetch: transport, tokenOrigins }: Pick<ClientConfig, 'fetch' | 'tokenOrigins'>,
  dpop?: Dpop,
) {
  const send = async (request: Request, token: string) => {
    if (!dpop || !boundTo(token)) {
      request.headers.set('authorization', `Bearer ${token}`)
      return transport(request)
    }
    // A grant from another tab: its token's `iat` tells this tab how off its clock is too.
    const grant = coordinator.current()
    if (grant?.accessToken === token) dpop.observeToken(token, grant.issuedAt)
    request.headers.set('authorization', `DPoP ${token}`)
    // No key left to sign with (site data cleared): the API refuses, and the refresh that
    // follows ends the session (`dpop.ts`).
    const proof = await dpop.apiProof(request.method, request.url, token)
    if (proof) request.headers.set(DPOP_HEADER, proof)
    const response = await transport(request)
    dpop.observe(request.url, response.headers)
    return response
  }
  // RFC 9449 §9: `WWW-Authenticate: DPoP error="use_dpop_nonce"` and the nonce in `DPoP-Nonce`.
  const wantsNonce = (response: Response) =>
    response.headers.has(DPOP_NONCE_HEADER) &&
    /use_dpop_nonce/.test(response.headers.get('www-authenticate') ?? '')

  /**
   * `fetch` with Baton's token handling; resolves with the Response like `fetch`. `onStepUp` hears
   * when the request starts and stops waiting for the user's step-up (a caller with a time limit
   * stops its clock meanwhile: typing a password is not the network being slow).
   */
  return async (
    input: RequestInfo | URL,
    init?: RequestInit,
    onStepUp?: (waiting: boolean) => void,
  ): Promise<Response> => {
    const request = new Request(input, init)
    // Where the request starts is what counts: on a redirect to another origin the Fetch standard
    // drops `Authorization` ("CORS non-wildcard request-header name").
    if (!tokenOrigins.includes(new URL(request.url).origin)) return transport(request)
    // A retry needs the body again, and sending consumes it: keep a copy made beforehand.
    const spare = request.body === null ? null : request.clone()
    const own = callerTokens(coordinator)
    let token = own(await coordinator.getAccessToken(request.signal))
    let response = await send(request, token)
    let refreshed = false
    let steppedUp = false
    let nonced = false
    while (response.status === 401) {
      if (!nonced && wantsNonce(response)) {
        nonced = true
        void response.body?.cancel().catch(() => {})
        response = await send(spare?.clone() ?? new Request(request), token)
        continue
      }
      const challenge = await challengeOfResponse(response)
      if (challenge ? steppedUp : refreshed) return response
      // Nobody reads the refused answer; let its connection go.
      void response.body?.cancel().catch(() => {})
      // Its caller gave up meanwhile: nobody is to be asked for a step-up, nor a refresh made,
      // for a request that will not be sent again.
      request.signal.throwIfAborted()
      if (challenge) {
        steppedUp = true
        onStepUp?.(true)
        try {
          token = own(await stepUp.wait(challenge, token, request.signal))
        } finally {
          onStepUp?.(false)
        }
      } else {
        refreshed = true
        token = own(await coordinator.tokenAfterUnauthorized(token, request.signal))
      }
      response = await send(spare?.clone() ?? new Request(request), token)
    }
    return response
  }
}
