import { describe, expect, it } from 'vitest'
import {
  authTimeOf,
  bearerParams,
  challengeFromBody,
  challengeFromHeader,
  challengeOfResponse,
} from './step-up-challenge.js'

const jwt = (payload: object) =>
  `e30.${btoa(JSON.stringify(payload)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}.sig`

describe('challengeFromHeader (RFC 9470 §3)', () => {
  it('reads max_age and acr_values of an insufficient_user_authentication challenge', () => {
    expect(
      challengeFromHeader(
        'Bearer error="insufficient_user_authentication", ' +
          'error_description="A different authentication level is required", ' +
          'acr_values="myACR urn:mace:incommon:iap:silver", max_age=300',
      ),
    ).toEqual({ maxAge: 300, acrValues: ['myACR', 'urn:mace:incommon:iap:silver'] })
    expect(
      challengeFromHeader('bearer error=insufficient_user_authentication,max_age="5"'),
    ).toEqual({ maxAge: 5 })
    expect(challengeFromHeader('Bearer error="insufficient_user_authentication"')).toEqual({})
  })

  it('is null for other challenges, and ignores a later scheme’s parameters', () => {
    expect(challengeFromHeader('Bearer error="invalid_token", error_description="x"')).toBeNull()
    expect(challengeFromHeader(null)).toBeNull()
    expect(challengeFromHeader('Basic realm="x"')).toBeNull()
    expect(
      challengeFromHeader('Bearer realm="api", DPoP error="insufficient_user_authentication"'),
    ).toBeNull()
    expect(
      challengeFromHeader(
        'DPoP algs="ES256", Bearer error="insufficient_user_authentication", max_age=60',
      ),
    ).toEqual({ maxAge: 60 })
  })

  it('drops a max_age that is no whole number of seconds', () => {
    for (const value of ['-1', '1.5', 'soon', '"1e3"'])
      expect(
        challengeFromHeader(`Bearer error="insufficient_user_authentication", max_age=${value}`),
      ).toEqual({})
  })

  it('unescapes quoted strings', () => {
    expect(bearerParams('Bearer error_description="say \\"again\\"", x=1')).toEqual(
      new Map([
        ['error_description', 'say "again"'],
        ['x', '1'],
      ]),
    )
  })
})

describe('challengeFromBody', () => {
  it('reads the StepUpErrorBody, and nothing else', () => {
    expect(
      challengeFromBody({
        error: { code: 'step_up_required', message: 'm', maxAge: 60, acrValues: ['a', 1] },
      }),
    ).toEqual({ maxAge: 60, acrValues: ['a'] })
    expect(challengeFromBody({ error: { code: 'invalid_token', message: 'm' } })).toBeNull()
    expect(challengeFromBody('step_up_required')).toBeNull()
  })
})

describe('challengeOfResponse', () => {
  const json = { 'content-type': 'application/json' }
  const body = JSON.stringify({ error: { code: 'step_up_required', message: 'm', maxAge: 9 } })

  it('prefers the header; falls back to the body when there is no Bearer challenge', async () => {
    const header = 'Bearer error="insufficient_user_authentication", max_age=300'
    expect(
      await challengeOfResponse(
        new Response(body, { status: 401, headers: { ...json, 'www-authenticate': header } }),
      ),
    ).toEqual({ maxAge: 300 })
    const bodyOnly = new Response(body, { status: 401, headers: json })
    expect(await challengeOfResponse(bodyOnly)).toEqual({ maxAge: 9 })
    // Read from a clone: the caller can still read it.
    expect(await bodyOnly.json()).toMatchObject({ error: { maxAge: 9 } })
  })

  it('a Bearer challenge of another error wins over the body; other statuses are no challenge', async () => {
    const invalid = 'Bearer error="invalid_token"'
    expect(
      await challengeOfResponse(
        new Response(body, { status: 401, headers: { ...json, 'www-authenticate': invalid } }),
      ),
    ).toBeNull()
    expect(await challengeOfResponse(new Response(body, { status: 403, headers: json }))).toBeNull()
    expect(await challengeOfResponse(new Response('<html>', { status: 401 }))).toBeNull()
  })
})

describe('authTimeOf', () => {
  it('reads auth_time from the token’s payload, unverified', () => {
    expect(authTimeOf(jwt({ sub: 'u', auth_time: 1_700_000_000 }))).toBe(1_700_000_000)
    expect(authTimeOf(jwt({ sub: 'u' }))).toBeUndefined()
    expect(authTimeOf(jwt({ auth_time: '1' }))).toBeUndefined()
    expect(authTimeOf('not a jwt')).toBeUndefined()
    expect(authTimeOf(null)).toBeUndefined()
  })
})
