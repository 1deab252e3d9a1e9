import { describe, expect, it } from 'vitest'
import { ConfigError } from './config.js'
import { idpFromEnv } from './idp-login.js'
import { startDemoIdp } from './idp.js'

describe('idpFromEnv', () => {
  it('runs the embedded provider on any free port by default', () => {
    expect(idpFromEnv({})).toEqual({ kind: 'embedded', port: 0 })
    expect(idpFromEnv({ BATON_IDP_PORT: '3002' })).toEqual({ kind: 'embedded', port: 3002 })
  })

  it('turns it off, or points at a real provider instead', () => {
    expect(idpFromEnv({ BATON_IDP: 'off' })).toEqual({ kind: 'off' })
    expect(
      idpFromEnv({
        BATON_OIDC_ISSUER: 'https://login.example.com/realms/demo',
        BATON_OIDC_CLIENT_ID: 'baton',
        BATON_OIDC_CLIENT_SECRET: 's3cret',
      }),
    ).toEqual({
      kind: 'external',
      issuer: 'https://login.example.com/realms/demo',
      clientId: 'baton',
      clientSecret: 's3cret',
    })
  })

  it.each([
    [{ BATON_IDP: 'maybe' }, 'BATON_IDP must be "on" or "off", got "maybe"'],
    [
      { BATON_IDP_PORT: '70000' },
      'BATON_IDP_PORT must be a port number from 0 to 65535, got "70000"',
    ],
    [
      { BATON_OIDC_ISSUER: 'https://idp.example' },
      'BATON_OIDC_CLIENT_ID is required with BATON_OIDC_ISSUER',
    ],
  ])('%o: a ConfigError naming the variable', (env, message) => {
    expect(() => idpFromEnv(env)).toThrow(ConfigError)
    expect(() => idpFromEnv(env)).toThrow(message)
  })
})

describe('startDemoIdp', () => {
  it('listens on loopback and answers 503 until the BFF is registered, then discovery', async () => {
    const idp = await startDemoIdp({ host: '127.0.0.1', port: 0 })
    try {
      expect(idp.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      const discovery = `${idp.issuer}/.well-known/openid-configuration`
      expect((await fetch(discovery)).status).toBe(503)
      idp.register({
        redirectUri: 'http://127.0.0.1:1/auth/oidc/callback',
        postLogoutRedirectUri: 'http://127.0.0.1:1/login',
        backchannelLogoutUri: 'http://127.0.0.1:1/auth/oidc/backchannel-logout',
      })
      const metadata = (await (await fetch(discovery)).json()) as Record<string, unknown>
      expect(metadata).toMatchObject({
        issuer: idp.issuer,
        pushed_authorization_request_endpoint: `${idp.issuer}/request`,
        end_session_endpoint: `${idp.issuer}/session/end`,
        backchannel_logout_supported: true,
      })
    } finally {
      await idp.close()
    }
  })

  it('lets no site frame its pages: its sign-in form nor its own sign-out page', async () => {
    const idp = await startDemoIdp({ host: '127.0.0.1', port: 0 })
    try {
      idp.register({
        redirectUri: 'http://127.0.0.1:1/auth/oidc/callback',
        postLogoutRedirectUri: 'http://127.0.0.1:1/login',
        backchannelLogoutUri: 'http://127.0.0.1:1/auth/oidc/backchannel-logout',
      })
      // The sign-in page's route, without its interaction cookie: the "expired" page, same helper.
      const signIn = await fetch(`${idp.issuer}/interaction/abc123`)
      const signOut = await fetch(`${idp.issuer}/session/end`)
      for (const page of [signIn, signOut]) {
        expect(page.headers.get('content-type')).toMatch(/^text\/html/)
        // Before: "default-src 'none'; style-src 'unsafe-inline'", which does not cover framing.
        expect(page.headers.get('content-security-policy')).toBe(
          "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        )
      }
    } finally {
      await idp.close()
    }
  })
})
