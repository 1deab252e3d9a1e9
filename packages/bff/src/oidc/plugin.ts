/**
 * @module
 * The seam between `createBff()` and OpenID Connect sign-in. The core knows only this file, which
 * imports no OAuth library: `createBff({ oidc })` hands the BFF's internals to the value
 * `oidcLogin()` made, so an application without OpenID Connect never loads `openid-client`.
 * @internal
 */
import type { Context, Hono } from 'hono'
import type { BffConfig } from '../options.js'
import type { Revoker } from '../session-revocation.js'
import type { SessionService } from '../session-service.js'
import type { StoredSession } from '../stores/types.js'

/** @internal What `createBff()` gives the OpenID Connect module. */
export interface OidcHost {
  config: BffConfig
  sessions: SessionService
  revoker: Revoker
}

/** @internal What the OpenID Connect module gives back to `createBff()`. */
export interface OidcInstalled {
  /** Mounted at the BFF's `basePath`: `/oidc/login`, `/oidc/callback`, `/oidc/logout`, … */
  routes: Hono
  /**
   * Runs in `POST {base}/logout` once its holder ended a session (never for a cookie that ended
   * nothing): for a session signed in through the provider it forgets the provider's tokens and
   * sets the end-session ticket cookie that `GET {base}/oidc/logout` turns into the provider's
   * end-session URL. Never throws.
   */
  afterLogout: (c: Context, ended: StoredSession) => Promise<void>
}

type Installer = (host: OidcHost) => OidcInstalled

const installers = new WeakMap<object, Installer>()

/** @internal Called by `oidcLogin()` on the value it returns. */
export function registerOidc(login: object, installer: Installer): void {
  installers.set(login, installer)
}

/**
 * @internal Called by `createBff()`: the routes and hooks of the `oidc` option. Throws a
 * `TypeError` for a value `oidcLogin()` did not make.
 */
export function installOidc(login: object, host: OidcHost): OidcInstalled {
  const installer = installers.get(login)
  if (!installer) {
    throw new TypeError('createBff: oidc must be the value of oidcLogin() from @baton/bff/oidc')
  }
  return installer(host)
}
