import { describe, expectTypeOf, it } from 'vitest'
import { oidcLogin, type OidcLoginOptions } from '../src/oidc/index.js'

/**
 * Under `exactOptionalPropertyTypes` an optional property refuses an explicit `undefined` unless
 * its type names it. `clientSecret` and `secret` take one, so the README's
 * `process.env.X` (`string | undefined`) fits; the runtime treats it as absent (a missing
 * `clientSecret` without `clientPrivateKey` throws at start-up, a missing `secret` gets the
 * per-process default and its warning).
 */
declare const env: Record<string, string | undefined>

const base = {
  issuer: 'https://login.example.com',
  clientId: 'c',
  redirectUri: 'https://app.example.com/auth/oidc/callback',
  mapUser: () => null,
}

describe('OidcLoginOptions takes process.env values', () => {
  it('clientSecret and secret accept string | undefined', () => {
    // Reading an optional property gives `| undefined` either way: what counts is writing one.
    expectTypeOf({
      ...base,
      clientSecret: undefined,
      secret: undefined,
    }).toExtend<OidcLoginOptions>()
    oidcLogin({
      ...base,
      clientSecret: env['OIDC_CLIENT_SECRET'],
      secret: env['BATON_OIDC_SECRET'],
    })
  })

  it('still refuses what is not a string', () => {
    // @ts-expect-error a number is not a client secret
    oidcLogin({ ...base, clientSecret: 42 })
    // @ts-expect-error nor a secret
    oidcLogin({ ...base, clientSecret: 's', secret: 42 })
    // @ts-expect-error a list of secrets holds strings
    oidcLogin({ ...base, clientSecret: 's', secret: [null] })
  })
})
