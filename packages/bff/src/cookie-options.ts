/**
 * @module
 * `createBff({ cookie })`: where the refresh cookie travels and what it is called.
 */

/**
 * Where the refresh cookie travels: `'root'` (`Path=/`, a `__Host-` name) or `'auth-path'` (only
 * to the auth routes, a `__Secure-` name). See {@link RefreshCookieOptions.scope}.
 */
export type RefreshCookieScope = 'root' | 'auth-path'

/** The refresh cookie's name and scope. */
export interface RefreshCookieOptions {
  /**
   * Where the cookie travels, and so which name prefix it can carry (RFC 6265bis §4.1.3).
   *
   * - `'root'`: `Path=/` and the `__Host-` prefix, what Duende's BFF and the IETF "OAuth 2.0 for
   *   Browser-Based Applications" BCP recommend. The browser refuses a `__Host-` cookie that
   *   names a `Domain`, another Path, or arrives over plain HTTP, so no sibling subdomain can plant
   *   one beside the real cookie ("cookie tossing"). The price: the cookie goes with every request
   *   to this origin (page loads, API calls, assets), not only to the auth routes. It stays
   *   HttpOnly and SameSite=Strict, and only the auth routes read it.
   * - `'auth-path'`: the cookie only goes to the auth routes, wherever the BFF is mounted
   *   (`basePath` under the host app's prefix, read per request, so `app.route('/api', bff)`
   *   scopes it to `/api/auth` by itself), or to `path` when that is set. A cookie on a Path other
   *   than `/` cannot be `__Host-`; `__Secure-` keeps it off plain HTTP but does not stop a
   *   sibling subdomain from setting one of the same name for the parent domain. The BFF then
   *   sees the name twice and answers `401 no_session` rather than guess, which a hostile
   *   subdomain can use to sign users out, but never to swap them into its own session.
   * @default 'root'
   */
  scope?: RefreshCookieScope
  /**
   * Cookie name. Browsers drop a prefixed cookie that breaks its prefix's rules, so `__Host-`
   * needs scope `'root'` and both prefixes need `secure`.
   * @default '__Host-baton_rt' for scope 'root', '__Secure-baton_rt' for 'auth-path' (`REFRESH_COOKIE`
   * and `AUTH_PATH_REFRESH_COOKIE` of `@baton/protocol`), 'baton_rt' with `secure: false`
   */
  name?: string
  /**
   * Cookie `Path` with scope `'auth-path'`: pins it instead of following the mount point. With
   * scope `'root'` it can only be `'/'`.
   * @default the path the auth routes answer on (scope 'auth-path'), '/' (scope 'root')
   */
  path?: string
  /**
   * The `Secure` attribute. Browsers accept Secure cookies from `http://localhost` and
   * `http://127.0.0.1`, so leave this on unless you serve the BFF over plain HTTP elsewhere.
   * @default true
   */
  secure?: boolean
}
