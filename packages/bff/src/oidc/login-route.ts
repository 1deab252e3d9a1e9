/**
 * @module
 * Starting a sign-in at the provider: authorization code with PKCE (S256), `state` and `nonce`
 * sealed into the transaction cookie, and PAR (RFC 9126) when the provider advertises it.
 * - `POST {base}/oidc/login` (what `baton.loginWithRedirect()` sends): JSON in, `{ location }`
 *   out, with the page's DPoP proof, so the session the callback starts is bound to the device
 *   key as a password sign-in's is (RFC 9449 §10 binds the code to a key the same way).
 * - `GET {base}/oidc/login?returnTo=/path[&prompt=…][&max_age=…]`: a plain link or a page without
 *   JavaScript; its session is unbound, so it is refused where binding is `required`.
 * @internal
 */
import type { OidcLoginBody, OidcLoginStartedBody } from '@baton/protocol'
import type { Context } from 'hono'
import { setCookie } from 'hono/cookie'
import * as oidc from 'openid-client'
import { BffError, NO_SNIFF } from '../errors.js'
import { readObject } from '../mfa/route-deps.js'
import { rateLimits } from '../rate-limit/limits.js'
import { requestMeta } from '../request-meta.js'
import type { OidcRouteDeps } from './deps.js'
import { OidcLoginError } from './navigation.js'
import { providerUnavailable, ProviderUnavailable } from './provider.js'
import { safeReturnTo } from './return-to.js'
import {
  transactionCookieAttributes,
  transactionCookieName,
  type Transaction,
} from './transaction.js'

/** What `prompt` may ask the provider for (OpenID Connect Core §3.1.2.1). */
const PROMPTS = new Set<string>(['none', 'login', 'consent', 'select_account'])

/** A sign-in as asked for, before it is checked: from the query (GET) or the body (POST). */
interface SignInRequest {
  returnTo: unknown
  prompt: unknown
  /** Whole seconds, as a string of digits (the query) or a number (the body). */
  maxAge: unknown
}

/** @internal Checks `request`, seals its transaction into the cookie, and returns the provider's URL. */
function signInStarter(deps: OidcRouteDeps) {
  const { config, oidcConfig, sealer } = deps
  const secure = config.cookie.secure

  return async function startSignIn(
    c: Context,
    request: SignInRequest,
    jkt: string | null,
  ): Promise<URL> {
    const origin = new URL(c.req.url).origin
    const returnTo =
      typeof request.returnTo === 'string' ? safeReturnTo(request.returnTo, origin) : null
    if (returnTo === null)
      throw new OidcLoginError('invalid_request', 'returnTo must be a path on this origin')
    const { prompt } = request
    const prompts = typeof prompt === 'string' ? prompt.split(' ') : []
    if (
      prompt !== undefined &&
      (typeof prompt !== 'string' ||
        !prompts.every((value) => PROMPTS.has(value)) ||
        // OpenID Connect Core §3.1.2.1: `none` with any other value is an error, which the
        // provider would answer as if it were down.
        (prompts.includes('none') && prompts.length > 1))
    ) {
      throw new OidcLoginError(
        'invalid_request',
        'prompt must be none, or any of login, consent and select_account',
      )
    }
    const asked = typeof request.maxAge === 'number' ? String(request.maxAge) : request.maxAge
    if (asked !== undefined && (typeof asked !== 'string' || !/^\d{1,9}$/.test(asked))) {
      throw new OidcLoginError('invalid_request', 'max_age must be a whole number of seconds')
    }
    // `prompt=login` alone leaves `auth_time` out of the ID token at many providers, and a session
    // whose sign-in time is unknown is never fresh: a step-up through it would never end. With
    // `max_age=0`, the same request per OpenID Connect Core §3.1.2.1, the provider must name the time.
    const maxAge = asked ?? (prompts.includes('login') ? '0' : undefined)
    const provider = await deps.provider()
    const verifier = oidc.randomPKCECodeVerifier()
    const transaction: Transaction = {
      tx: oidc.randomState(),
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier,
      returnTo,
      // Only a max_age the caller asked for is held against the ID token's age at the callback:
      // the implied 0 makes the provider name auth_time, and requireAuth({ maxAge }) judges how
      // fresh that is (a user who lingered on a consent screen is not refused here).
      maxAge: asked === undefined ? null : Number(asked),
      jkt,
      startedAt: config.now(),
    }
    const parameters: Record<string, string> = {
      redirect_uri: oidcConfig.redirectUri.href,
      scope: oidcConfig.scopes.join(' '),
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: transaction.state,
      nonce: transaction.nonce,
    }
    if (prompt !== undefined) parameters['prompt'] = prompt
    if (maxAge !== undefined) parameters['max_age'] = maxAge
    const configuration = provider.configuration
    let url: URL
    try {
      // PAR (RFC 9126) when advertised: the parameters travel server to server, authenticated.
      url = configuration.serverMetadata().pushed_authorization_request_endpoint
        ? await oidc.buildAuthorizationUrlWithPAR(configuration, parameters)
        : oidc.buildAuthorizationUrl(configuration, parameters)
    } catch (error) {
      throw error instanceof oidc.ResponseBodyError
        ? new OidcLoginError('provider_error', `PAR answered ${error.error}`, { cause: error })
        : new OidcLoginError('provider_unavailable', 'PAR failed', { cause: error })
    }
    const sealed = await sealer.seal(
      'transaction',
      { ...transaction },
      oidcConfig.transactionTtlSeconds,
      config.now(),
    )
    setCookie(c, transactionCookieName(secure), sealed, {
      ...transactionCookieAttributes(secure),
      maxAge: oidcConfig.transactionTtlSeconds,
    })
    c.header('cache-control', 'no-store')
    return url
  }
}

/** @internal The handler of `GET /oidc/login`; throws {@link OidcLoginError} for a bad request. */
export function loginRoute(deps: OidcRouteDeps) {
  const startSignIn = signInStarter(deps)

  return async function oidcLoginRoute(c: Context): Promise<Response> {
    // A navigation carries no DPoP proof: its session could never refresh here.
    if (deps.config.binding.policy === 'required') {
      throw new OidcLoginError(
        'invalid_request',
        'This server binds every session to a device key: start the sign-in with POST (baton.loginWithRedirect())',
      )
    }
    const request = {
      // A plain link may leave returnTo out: the sign-in lands on `/`, as it always has.
      returnTo: c.req.query('returnTo') ?? '/',
      prompt: c.req.query('prompt'),
      maxAge: c.req.query('max_age'),
    }
    const url = await startSignIn(c, request, null)
    return c.redirect(url.href, 302)
  }
}

/**
 * @internal The handler of `POST /oidc/login` (after the CSRF check and the per-IP budget): a
 * `fetch`, so a failure is a JSON error (`400 invalid_request`, `400`/`401` for the DPoP proof,
 * `503 provider_unavailable`) and an `oidc_login_failed` event, never a redirect.
 */
export function loginStartRoute(deps: OidcRouteDeps) {
  const { config, sessions } = deps
  const startSignIn = signInStarter(deps)
  const limits = rateLimits(config)

  return async function oidcLoginStart(c: Context): Promise<Response> {
    const body = (await readObject(c)) as { [K in keyof OidcLoginBody]?: unknown }
    const jkt = await limits.proveSignIn(c, 'oidcLogin', () => sessions.binding.atLogin(c))
    let url: URL
    try {
      url = await startSignIn(
        c,
        { returnTo: body.returnTo, prompt: body.prompt, maxAge: body.maxAge },
        jkt,
      )
    } catch (error) {
      throw asJsonError(deps, c, error)
    }
    c.header(...NO_SNIFF)
    return c.json({ location: url.href } satisfies OidcLoginStartedBody)
  }
}

/** A failure of the POST start as the JSON error a `fetch` expects, reported as a navigation's is. */
function asJsonError({ config }: OidcRouteDeps, c: Context, error: unknown): unknown {
  const failure =
    error instanceof ProviderUnavailable
      ? new OidcLoginError('provider_unavailable', error.message, { cause: error })
      : error
  if (!(failure instanceof OidcLoginError)) return failure
  config.emit({
    type: 'oidc_login_failed',
    code: failure.code,
    at: config.now(),
    ...requestMeta(config, c),
  })
  if (failure.code === 'invalid_request')
    return new BffError(400, 'invalid_request', failure.message)
  // The provider's answer or its absence (PAR refused or unreachable): the operator's to look at.
  config.logger.warn(`[baton] OpenID Connect sign-in failed: ${failure.code}`, failure.cause)
  return providerUnavailable(failure.cause ?? failure)
}
