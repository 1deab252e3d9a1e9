/**
 * @module
 * The demo's own OpenID provider: panva's `oidc-provider` on its own loopback port, in the demo's
 * process, so "Sign in with Demo IdP" works with nothing else to run. One account (`carol` /
 * `carol-pw`), its own sign-in page (the password is checked), consent granted silently, PAR,
 * refresh tokens, RP-initiated logout and back-channel logout to the demo BFF. Development only:
 * every key, secret and session is made at start and lives in memory.
 */
import { generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import Provider, { type OidcContext } from 'oidc-provider'

/** The demo provider's one account. */
export const IDP_ACCOUNT = {
  username: 'carol',
  password: 'carol-pw',
  claims: { sub: 'carol', name: 'Carol', email: 'carol@example.com', email_verified: true },
} as const

/** The client id the demo BFF is registered under. */
export const IDP_CLIENT_ID = 'baton-demo'

/** Where the demo BFF is, as the provider must know it. */
export interface IdpClient {
  /** `{app}/auth/oidc/callback`, as the browser sees the app. */
  redirectUri: string
  /** Where the provider sends the browser after RP-initiated logout. */
  postLogoutRedirectUri: string
  /** `{bff}/auth/oidc/backchannel-logout`, as the provider reaches the BFF. */
  backchannelLogoutUri: string
}

/** A listening demo provider. */
export interface DemoIdp {
  /** `http://host:port`: the issuer the BFF discovers. */
  readonly issuer: string
  /** The client secret of {@link IDP_CLIENT_ID}, random per start. */
  readonly clientSecret: string
  /** Registers the BFF (its URLs are known once it listens) and starts answering. */
  register(client: IdpClient): void
  close(): Promise<void>
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`)

/** The provider's pages: one look, no script, no outside resources. */
const page = (title: string, body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font:16px system-ui,sans-serif;background:#f4f1ea;color:#222;display:grid;place-items:center;min-height:100vh;margin:0}
main{background:#fff;padding:2rem;border-radius:12px;box-shadow:0 2px 12px #0002;width:20rem}
h1{font-size:1.3rem;margin:0 0 .25rem}p{color:#555;margin:.25rem 0 1rem}label{display:block;margin:.75rem 0}
input{display:block;width:100%;box-sizing:border-box;padding:.5rem;margin-top:.25rem;font:inherit}
button{width:100%;padding:.6rem;margin-top:.5rem;font:inherit;font-weight:600;border:0;border-radius:6px;background:#7a3e9d;color:#fff;cursor:pointer}
button.secondary{background:#ddd;color:#222}.error{color:#a00}code{background:#eee;padding:0 .2rem}
</style></head><body><main>${body}</main></body></html>`

const loginPage = (uid: string, error: string | null, username = '') =>
  page(
    'Demo IdP: sign in',
    `<h1>Demo IdP</h1><p>Sign in to continue to Baton.</p>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
<label>Username<input name="username" value="${escapeHtml(username)}" autofocus required></label>
<label>Password<input name="password" type="password" required></label>
<button type="submit">Sign in</button></form>
<p>Demo account: <code>${IDP_ACCOUNT.username}</code> / <code>${IDP_ACCOUNT.password}</code></p>`,
  )

const same = (a: string, b: string) => {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let body = ''
  for await (const chunk of req) {
    body += String(chunk)
    if (body.length > 8_192) throw new Error('form too large')
  }
  return new URLSearchParams(body)
}

/** The policy of every page the provider shows: its own styles, nothing else, never framed. */
const IDP_PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"

const html = (res: ServerResponse, status: number, body: string) => {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    // default-src does not cover frame-ancestors: without it any site could frame the password form.
    'content-security-policy': IDP_PAGE_POLICY,
  })
  res.end(body)
}

/**
 * Starts the demo provider on `host:port` (`0`: any free port). It answers 503 until
 * {@link DemoIdp.register} gives it the BFF's URLs.
 *
 * @example
 * ```ts
 * const idp = await startDemoIdp({ host: '127.0.0.1', port: 0 })
 * idp.register({ redirectUri, postLogoutRedirectUri, backchannelLogoutUri })
 * ```
 */
export async function startDemoIdp(options: { host: string; port: number }): Promise<DemoIdp> {
  let handle: ((req: IncomingMessage, res: ServerResponse) => void) | null = null
  const server: Server = createServer((req, res) => {
    if (handle) return handle(req, res)
    res.writeHead(503).end()
  })
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port, options.host, () => resolve((server.address() as AddressInfo).port))
  })
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  const issuer = `http://${host}:${port}`
  const clientSecret = randomBytes(24).toString('base64url')
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const signingKey = {
    ...privateKey.export({ format: 'jwk' }),
    kid: 'demo-idp',
    alg: 'RS256',
    use: 'sig',
  }

  const register = (client: IdpClient) => {
    const provider = new Provider(issuer, {
      clients: [
        {
          client_id: IDP_CLIENT_ID,
          client_secret: clientSecret,
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          redirect_uris: [client.redirectUri],
          post_logout_redirect_uris: [client.postLogoutRedirectUri],
          backchannel_logout_uri: client.backchannelLogoutUri,
          backchannel_logout_session_required: true,
          // Every ID token says when the user signed in: without it Baton counts the sign-in as
          // not fresh, and the security console would ask for a step-up straight away.
          require_auth_time: true,
        },
      ],
      jwks: { keys: [signingKey] },
      cookies: { keys: [randomBytes(32).toString('base64url')] },
      interactions: {
        url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
      },
      features: {
        devInteractions: { enabled: false },
        backchannelLogout: { enabled: true },
        revocation: { enabled: true },
        pushedAuthorizationRequests: { enabled: true },
        rpInitiatedLogout: {
          enabled: true,
          logoutSource: (ctx: OidcContext, form: string) => {
            ctx.type = 'html'
            ctx.body = page(
              'Demo IdP: sign out',
              `<h1>Sign out of Demo IdP?</h1><p>Baton signed you out; this ends your Demo IdP session too.</p>${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Sign out of Demo IdP</button>
<button type="submit" form="op.logoutForm" class="secondary">Stay signed in at Demo IdP</button>`,
            )
          },
          postLogoutSuccessSource: (ctx: OidcContext) => {
            ctx.type = 'html'
            ctx.body = page(
              'Demo IdP: signed out',
              '<h1>Signed out</h1><p>You can close this page.</p>',
            )
          },
        },
      },
      renderError: (ctx: OidcContext, out: Record<string, unknown>) => {
        ctx.type = 'html'
        ctx.body = page(
          'Demo IdP: error',
          `<h1>Error</h1><p>${escapeHtml(String(out['error_description'] ?? out['error']))}</p>`,
        )
      },
      pkce: { required: () => true },
      // The profile and email claims in the ID token itself: the BFF reads no userinfo endpoint.
      conformIdTokenClaims: false,
      claims: { openid: ['sub', 'sid'], profile: ['name'], email: ['email', 'email_verified'] },
      ttl: {
        AccessToken: 600,
        AuthorizationCode: 60,
        IdToken: 600,
        Interaction: 600,
        Session: 86_400,
        Grant: 86_400,
        RefreshToken: 86_400,
        PushedAuthorizationRequest: 60,
      },
      findAccount: (_ctx: unknown, id: string) =>
        id === IDP_ACCOUNT.claims.sub
          ? { accountId: id, claims: () => ({ ...IDP_ACCOUNT.claims }) }
          : undefined,
      // Refresh tokens without `offline_access`, so `accessToken(c)` can refresh upstream.
      issueRefreshToken: () => true,
      // Consent granted silently: the demo's one client is first-party.
      async loadExistingGrant(ctx: OidcContext) {
        const { client, session, params, provider: op } = ctx.oidc
        const grant = new op.Grant({ clientId: client!.clientId, accountId: session!.accountId! })
        const scope = params?.['scope']
        grant.addOIDCScope(typeof scope === 'string' ? scope : 'openid')
        await grant.save()
        return grant
      },
    })
    // The provider's own pages (sign-out, signed out, errors) are not to be framed either.
    provider.use(async (ctx, next) => {
      await next()
      if (ctx.response.is('html') && !ctx.response.get('content-security-policy')) {
        ctx.set('content-security-policy', IDP_PAGE_POLICY)
      }
    })
    const callback = provider.callback()

    handle = (req, res) => {
      const match = /^\/interaction\/([\w-]+)(\/login)?$/.exec(req.url?.split('?')[0] ?? '')
      if (!match) return callback(req, res)
      void (async () => {
        try {
          const details = await provider.interactionDetails(req, res)
          if (details.uid !== match[1])
            return html(res, 400, page('Demo IdP', '<h1>Bad request</h1>'))
          if (req.method === 'GET') return html(res, 200, loginPage(details.uid, null))
          const form = await readForm(req)
          const username = form.get('username')?.trim().toLowerCase() ?? ''
          const password = form.get('password') ?? ''
          // Both compared, always: the answer takes as long for a wrong name as for a wrong password.
          const nameOk = same(username, IDP_ACCOUNT.username)
          const passwordOk = same(password, IDP_ACCOUNT.password)
          if (!nameOk || !passwordOk) {
            return html(res, 401, loginPage(details.uid, 'Wrong username or password.', username))
          }
          await provider.interactionFinished(
            req,
            res,
            { login: { accountId: IDP_ACCOUNT.claims.sub } },
            { mergeWithLastSubmission: false },
          )
        } catch {
          // An expired or unknown interaction (its cookie is gone): start the sign-in again.
          html(
            res,
            400,
            page(
              'Demo IdP',
              '<h1>This sign-in expired</h1><p>Go back to the app and start again.</p>',
            ),
          )
        }
      })()
    }
  }

  return {
    issuer,
    clientSecret,
    register,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
