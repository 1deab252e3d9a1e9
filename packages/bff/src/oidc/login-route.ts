/**
 * @module
 * `GET {base}/oidc/login?returnTo=/path[&prompt=…][&max_age=…]`: a navigation that starts a sign-in
 * at the provider: authorization code with PKCE (S256), `state` and `nonce` sealed into the
 * transaction cookie, and PAR (RFC 9126) when the provider advertises it.
 * @internal
 */
import type { Context } from 'hono'
import { setCookie } from 'hono/cookie'
import * as oidc from 'openid-client'
import type { OidcRouteDeps } from './deps.js'
import { OidcLoginError } from './navigation.js'
import { safeReturnTo } from './return-to.js'
import {
  transactionCookieAttributes,
  transactionCookieName,
  type Transaction,
} from './transaction.js'

/** What `prompt` may ask the provider for (OpenID Connect Core §3.1.2.1). */
const PROMPTS = new Set(['none', 'login', 'consent', 'select_account'])

/** @internal The handler of `GET /oidc/login`; throws {@link OidcLoginError} for a bad request. */
export function loginRoute(deps: OidcRouteDeps) {
  const { config, oidcConfig, sealer } = deps
  const secure = config.cookie.secure

  return async function oidcLoginRoute(c: Context): Promise<Response> {
    const origin = new URL(c.req.url).origin
    const returnTo = safeReturnTo(c.req.query('returnTo'), origin)
    if (returnTo === null)
      throw new OidcLoginError('invalid_request', 'returnTo must be a path on this origin')
    const prompt = c.req.query('prompt')
    if (prompt !== undefined && !prompt.split(' ').every((value) => PROMPTS.has(value))) {
      throw new OidcLoginError(
        'invalid_request',
        'prompt must be none, login, consent or select_account',
      )
    }
    const maxAgeQuery = c.req.query('max_age')
    if (maxAgeQuery !== undefined && !/^\d{1,9}$/.test(maxAgeQuery)) {
      throw new OidcLoginError('invalid_request', 'max_age must be a whole number of seconds')
    }
    // `prompt=login` alone leaves `auth_time` out of the ID token at many providers, and a session
    // whose sign-in time is unknown is never fresh: a step-up through it would never end. With
    // `max_age=0`, the same request per OpenID Connect Core §3.1.2.1, the provider must name the time.
    const maxAgeParam =
      maxAgeQuery ?? (prompt?.split(' ').includes('login') === true ? '0' : undefined)
    const provider = await deps.provider()
    const verifier = oidc.randomPKCECodeVerifier()
    const transaction: Transaction = {
      tx: oidc.randomState(),
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier,
      returnTo,
      maxAge: maxAgeParam === undefined ? null : Number(maxAgeParam),
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
    if (maxAgeParam !== undefined) parameters['max_age'] = maxAgeParam
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
    return c.redirect(url.href, 302)
  }
}
