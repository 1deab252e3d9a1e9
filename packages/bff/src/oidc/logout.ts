/**
 * @module
 * RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) in two steps, since `POST /logout`
 * is a `fetch` and only a navigation can take the browser to the provider:
 * - once `POST {base}/logout` ended a session signed in through the provider, the BFF builds the
 *   provider's end-session URL (with the ID token as `id_token_hint`), keeps it in the state store
 *   under a random ticket, and sets the ticket as a short-lived HttpOnly cookie;
 * - `GET {base}/oidc/logout` (the navigation that follows) spends the ticket and redirects there,
 *   or to `postLogoutRedirectUri` when there is none.
 * @internal
 */
import { OIDC_END_HINT_COOKIE } from '@baton/protocol'
import type { Context } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import * as oidc from 'openid-client'
import { guardStore } from '../stores/guard.js'
import type { StoredSession } from '../stores/types.js'
import { cookieName, type OidcRouteDeps } from './deps.js'
import { revokeRefreshToken } from './provider.js'

/** An end-session ticket lives this long: from `POST /logout` to the navigation that follows it. */
export const END_SESSION_TTL_SECONDS = 120

/** @internal The end-session ticket cookie set by `POST /logout` for a provider-signed-in session. */
export const endSessionCookieName = (secure: boolean) => cookieName(secure, 'baton_oidc_end')

/** @internal The readable marker set beside the ticket (see the protocol's cookie). */
export const END_SESSION_MARKER = OIDC_END_HINT_COOKIE

const TICKET = /^[\w-]{16,128}$/

/**
 * @internal The hook `POST {base}/logout` runs once the session's holder ended it (the upstream
 * record outlives the session). Never throws: the Baton logout is done whatever happens here.
 */
export function afterLogout(deps: Omit<OidcRouteDeps, 'sessions' | 'revoker'>) {
  const { config, oidcConfig, sealer, stateStore, upstream } = deps
  const secure = config.cookie.secure

  return async function oidcAfterLogout(c: Context, session: StoredSession): Promise<void> {
    try {
      const record = await upstream.load(session.id)
      if (!record) return
      await upstream.forget(session.id)
      const { configuration } = await deps.provider()
      const metadata = configuration.serverMetadata()
      // The provider's grant ends with the Baton session.
      if (record.refreshToken !== null) {
        revokeRefreshToken(configuration, record.refreshToken, config.logger)
      }
      if (!metadata.end_session_endpoint) return
      const parameters: Record<string, string> = { client_id: oidcConfig.clientId }
      if (record.idToken !== null) parameters['id_token_hint'] = record.idToken
      if (oidcConfig.postLogoutRedirectUri !== null) {
        parameters['post_logout_redirect_uri'] = oidcConfig.postLogoutRedirectUri
      }
      const url = oidc.buildEndSessionUrl(configuration, parameters).href
      // The URL (with the ID token as hint) stays in the store, sealed as the upstream tokens
      // are; the cookie holds a random key.
      const ticket = oidc.randomState()
      const sealed = await sealer.seal(
        'end_session',
        { u: url },
        END_SESSION_TTL_SECONDS,
        config.now(),
      )
      await stateStore.set(`end:${ticket}`, sealed, END_SESSION_TTL_SECONDS * 1000)
      const attributes = {
        secure,
        sameSite: 'Strict',
        path: '/',
        maxAge: END_SESSION_TTL_SECONDS,
      } as const
      setCookie(c, endSessionCookieName(secure), ticket, { ...attributes, httpOnly: true })
      setCookie(c, END_SESSION_MARKER, '1', attributes)
    } catch (error) {
      // Only the provider's session may outlive the Baton one; the operator hears of it.
      config.logger.warn('[baton] oidc: could not prepare the provider logout', error)
    }
  }
}

/** @internal The handler of `GET /oidc/logout`. */
export function endSessionRoute(
  deps: Pick<OidcRouteDeps, 'config' | 'oidcConfig' | 'provider' | 'sealer' | 'stateStore'>,
) {
  const { config, oidcConfig, sealer, stateStore } = deps
  const secure = config.cookie.secure
  const name = endSessionCookieName(secure)

  /**
   * A ticket written by a build before the URL was sealed (a rolling upgrade, or a logout just
   * before it) holds the URL itself. It is followed only to the provider's own end-session
   * endpoint, so a value planted in the store cannot make this route an open redirect. To be
   * dropped in the next minor release.
   */
  const unsealedEndSessionUrl = async (value: string): Promise<string | null> => {
    if (!URL.canParse(value)) return null
    const endpoint = await deps.provider().then(
      ({ configuration }) => configuration.serverMetadata().end_session_endpoint,
      () => undefined,
    )
    if (endpoint === undefined || !URL.canParse(endpoint)) return null
    const at = (href: string) => {
      const { origin, pathname } = new URL(href)
      return `${origin}${pathname}`
    }
    return at(value) === at(endpoint) ? value : null
  }

  return async function oidcEndSession(c: Context): Promise<Response> {
    const ticket = getCookie(c, name)
    deleteCookie(c, name, { httpOnly: true, secure, sameSite: 'Strict', path: '/' })
    deleteCookie(c, END_SESSION_MARKER, { secure, sameSite: 'Strict', path: '/' })
    c.header('cache-control', 'no-store')
    let url: string | null = null
    if (ticket !== undefined && TICKET.test(ticket)) {
      const sealed = await guardStore(() => stateStore.get(`end:${ticket}`))
      await guardStore(() => stateStore.delete(`end:${ticket}`))
      const opened = sealed === null ? null : await sealer.open('end_session', sealed, config.now())
      url =
        typeof opened?.['u'] === 'string'
          ? opened['u']
          : sealed === null
            ? null
            : await unsealedEndSessionUrl(sealed)
    }
    // Without a ticket (none, used, expired) there is no provider session to end from here.
    return c.redirect(url ?? oidcConfig.postLogoutRedirectUri ?? '/', 302)
  }
}
