/**
 * @module
 * The demo BFF's OpenID Connect sign-in: which provider (the embedded demo IdP, a real one named
 * by environment variables, or none) and the `oidcLogin()` that signs its users in.
 */
import { randomBytes } from 'node:crypto'
import { oidcLogin, type OidcLogin } from '@baton/bff/oidc'
import { ConfigError, type Env } from './config.js'
import type { DemoUser, UserDirectory } from './users.js'

/**
 * Where "Sign in with Demo IdP" goes, from the environment:
 * - by default the embedded provider (`idp.ts`) on `BATON_IDP_PORT` (default `0`: any free port);
 * - `BATON_OIDC_ISSUER`, `BATON_OIDC_CLIENT_ID` and `BATON_OIDC_CLIENT_SECRET`: a real provider
 *   (Keycloak, Entra ID, Auth0, …) instead, where `{app}/auth/oidc/callback` is registered;
 * - `BATON_IDP=off`: no OpenID Connect at all.
 */
export type IdpSetting =
  | { kind: 'embedded'; port: number }
  | { kind: 'external'; issuer: string; clientId: string; clientSecret: string }
  | { kind: 'off' }

const read = (env: Env, name: string) => {
  const value = env[name]?.trim()
  return value === undefined || value === '' ? undefined : value
}

/** Reads {@link IdpSetting} from `env`; throws a `ConfigError` naming a bad variable. */
export function idpFromEnv(env: Env): IdpSetting {
  const issuer = read(env, 'BATON_OIDC_ISSUER')
  if (issuer !== undefined) {
    const clientId = read(env, 'BATON_OIDC_CLIENT_ID')
    const clientSecret = read(env, 'BATON_OIDC_CLIENT_SECRET')
    if (clientId === undefined)
      throw new ConfigError('BATON_OIDC_CLIENT_ID', 'is required with BATON_OIDC_ISSUER')
    if (clientSecret === undefined) {
      throw new ConfigError('BATON_OIDC_CLIENT_SECRET', 'is required with BATON_OIDC_ISSUER')
    }
    return { kind: 'external', issuer, clientId, clientSecret }
  }
  const switched = read(env, 'BATON_IDP')?.toLowerCase()
  if (switched === 'off') return { kind: 'off' }
  if (switched !== undefined && switched !== 'on') {
    throw new ConfigError('BATON_IDP', `must be "on" or "off", got "${switched}"`)
  }
  const port = read(env, 'BATON_IDP_PORT') ?? '0'
  if (!/^\d+$/.test(port) || Number(port) > 65_535) {
    throw new ConfigError('BATON_IDP_PORT', `must be a port number from 0 to 65535, got "${port}"`)
  }
  return { kind: 'embedded', port: Number(port) }
}

/** The banner's line for the embedded provider, if it runs. */
export const idpLine = (issuer: string | null): Array<[string, string]> =>
  issuer === null ? [] : [['Demo IdP', `${issuer}  (sign in as carol / carol-pw)`]]

/** What {@link demoOidcLogin} needs to know about the provider and the app. */
export interface DemoOidcOptions {
  issuer: string
  clientId: string
  clientSecret: string
  /** The app's public origin, as the browser sees it (Vite's in development). */
  appUrl: string
  /** Where the users it signs in are kept, for `GET /api/me` and the security console. */
  users: Pick<UserDirectory, 'remember'>
}

/** A provider user as the demo knows them: `idp:<sub>`, with the `member` role whatever the claims say. */
export function providerUser(claims: { sub: string; [claim: string]: unknown }): DemoUser {
  const text = (value: unknown) => (typeof value === 'string' ? value : null)
  const username = text(claims['preferred_username']) ?? claims.sub
  return {
    id: `idp:${claims.sub}`,
    username,
    name: text(claims['name']) ?? username,
    email: text(claims['email']) ?? '',
    role: 'member',
  }
}

/** The demo's `oidcLogin()`: provider users become `DemoUser`s with the `member` role. */
export function demoOidcLogin(options: DemoOidcOptions): OidcLogin<DemoUser> {
  return oidcLogin<DemoUser>({
    issuer: options.issuer,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    redirectUri: `${options.appUrl}/auth/oidc/callback`,
    postLogoutRedirectUri: `${options.appUrl}/login`,
    // One process, and upstream tokens need not outlive it: a fresh secret per start.
    secret: randomBytes(32).toString('base64url'),
    errorPath: '/login',
    mapUser: (claims) => options.users.remember(providerUser(claims)),
  })
}
