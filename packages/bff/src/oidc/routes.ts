/**
 * @module
 * The OpenID Connect routes under the BFF's `basePath`:
 * - `POST /oidc/login` (`login-route.ts`): the client's start of a sign-in, with its DPoP proof;
 *   JSON in and out, CSRF-checked like every cookie route; per-IP rate limit `oidcLogin`;
 * - `GET /oidc/login` and `GET /oidc/callback` (`callback.ts`): navigations, rate-limited per IP
 *   (`oidcLogin`, `oidcCallback`); a failure, a spent budget included, lands on the app's
 *   `errorPath` with `?oidc_error=<code>`;
 * - `GET /oidc/logout` (`logout.ts`): the navigation after `POST /logout`, to the provider's
 *   end-session URL; no rate limit (it only spends the single-use ticket `POST /logout` set); a
 *   failure (the store down) lands on `errorPath` too, its cookies cleared all the same;
 * - `POST /oidc/backchannel-logout` (`backchannel-route.ts`): the provider ends sessions; per-IP
 *   rate limit `backchannelLogout`.
 * @internal
 */
import { Hono, type Context } from 'hono'
import { rateLimits } from '../rate-limit/limits.js'
import type { RateLimitedRoute } from '../rate-limit/options.js'
import { backchannelRoute } from './backchannel-route.js'
import { callbackRoute } from './callback.js'
import type { OidcRouteDeps } from './deps.js'
import { requireCsrfHeaders } from '../middleware/csrf.js'
import { loginRoute, loginStartRoute } from './login-route.js'
import { endSessionRoute } from './logout.js'
import { navigation } from './navigation.js'

/** @internal */
export function oidcRoutes(deps: OidcRouteDeps) {
  const limits = rateLimits(deps.config)
  const asNavigation = navigation(deps.config, deps.oidcConfig)
  const csrf = requireCsrfHeaders(deps.config)
  // Inside the navigation wrapper: a spent budget is a redirect with `oidc_error=rate_limited`.
  const limited =
    (route: RateLimitedRoute, handler: (c: Context) => Promise<Response>) => async (c: Context) => {
      await limits.checkIp(c, route)
      return handler(c)
    }

  return (
    new Hono()
      .get('/oidc/login', asNavigation(limited('oidcLogin', loginRoute(deps))))
      .post('/oidc/login', csrf('login'), limits.perIp('oidcLogin'), loginStartRoute(deps))
      .get('/oidc/callback', asNavigation(limited('oidcCallback', callbackRoute(deps))))
      // A navigation too: a store outage is a redirect to `errorPath`, not a JSON 503 as the page.
      .get('/oidc/logout', asNavigation(endSessionRoute(deps), 'sign-out'))
      .post('/oidc/backchannel-logout', limits.perIp('backchannelLogout'), backchannelRoute(deps))
  )
}
