/**
 * The `amr` (RFC 8176) a session and its access tokens carry after a second factor: the methods of
 * the authentication `auth_time` dates, no more (no `pwd` for a step-up that asked for none) and
 * no less (`mfa` when that authentication took two factors).
 */
import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import { MINUTE, passwordOf, type Harness, type TokenResponse } from './helpers.js'
import { mfaClient, mfaHarness, softAuthenticator, totpCode } from './mfa-helpers.js'

/** Alice signed in with her password, TOTP enrolled, a minute later. */
async function withTotp(h: Harness) {
  const m = mfaClient(h)
  const { body, cookie } = await h.login('alice')
  const { secret } = await m.enrolTotp(body.accessToken)
  h.clock.advance(MINUTE)
  return { m, token: body.accessToken, cookie, secret }
}

/** Alice signed in with her password and a passkey of `authenticator` registered. */
async function withPasskey(h: Harness, authenticator: ReturnType<typeof softAuthenticator>) {
  const m = mfaClient(h)
  const { body, cookie } = await h.login('alice')
  const options = await m.api('/factors/passkey/options', body.accessToken)
  const creation = (await options.json()) as { challenge: string; user: { id: string } }
  const res = await m.api('/factors/passkey', body.accessToken, 'POST', {
    response: authenticator.register(creation),
  })
  expect(res.status).toBe(201)
  return { m, token: body.accessToken, cookie }
}

const claimsOf = (token: string) => {
  const { amr, acr } = decodeJwt(token)
  return { amr, acr }
}

describe('amr after a second factor', () => {
  it('password + TOTP at sign-in: pwd, otp, mfa', async () => {
    const h = await mfaHarness()
    const { m, secret } = await withTotp(h)
    const ticket = await m.challenged()
    const code = totpCode(secret, h.clock.now())
    const res = await m.loginMfa({ ticket: ticket.ticket, method: 'totp', code }, ticket.binder)
    expect(res.status).toBe(200)
    const { accessToken } = (await res.json()) as TokenResponse
    expect(claimsOf(accessToken)).toStrictEqual({ amr: ['pwd', 'otp', 'mfa'], acr: 'mfa' })
  })

  it('password + recovery code at sign-in: pwd, otp, mfa', async () => {
    const h = await mfaHarness()
    const m = mfaClient(h)
    const { body } = await h.login('alice')
    const { recoveryCodes } = await m.enrolTotp(body.accessToken)
    const ticket = await m.challenged()
    const res = await m.loginMfa(
      { ticket: ticket.ticket, method: 'recovery_code', code: recoveryCodes[0] },
      ticket.binder,
    )
    expect(res.status).toBe(200)
    const { accessToken } = (await res.json()) as TokenResponse
    expect(claimsOf(accessToken)).toStrictEqual({ amr: ['pwd', 'otp', 'mfa'], acr: 'mfa' })
  })

  // Before: ['pwd', 'otp'], though no password was asked for: the step-up's auth_time is now, and
  // the only method of that authentication is the code.
  it('a step-up with a TOTP code alone: otp, nothing else, in the token, the event and the session', async () => {
    const h = await mfaHarness()
    const { m, token, cookie, secret } = await withTotp(h)
    const stepped = await m.stepUp(token, cookie, {
      method: 'totp',
      code: totpCode(secret, h.clock.now()),
    })
    expect(claimsOf(stepped.token)).toStrictEqual({ amr: ['otp'], acr: 'mfa' })
    expect(h.eventsOf('reauthenticated').at(-1)?.amr).toStrictEqual(['otp'])
    const refreshed = await h.refreshOk(stepped.cookie)
    expect(claimsOf(refreshed.body.accessToken)).toStrictEqual({ amr: ['otp'], acr: 'mfa' })
  })

  it('a step-up with a password alone stays pwd, no acr', async () => {
    const h = await mfaHarness()
    const { m, token, cookie } = await withTotp(h)
    const stepped = await m.stepUp(token, cookie, {
      username: 'alice',
      password: passwordOf('alice'),
    })
    expect(claimsOf(stepped.token)).toStrictEqual({ amr: ['pwd'], acr: undefined })
  })

  // Before: ['pwd', 'hwk'] for both.
  it.each([
    ['user-verified: hwk, mfa', true, ['hwk', 'mfa']],
    ['user present only: hwk', false, ['hwk']],
  ])('a step-up with a passkey, %s', async (_, userVerified, amr) => {
    const h = await mfaHarness()
    const authenticator = softAuthenticator({ userVerified })
    const { m, token, cookie } = await withPasskey(h, authenticator)
    const options = await m.api('/reauthenticate/passkey/options', token)
    const { challenge } = (await options.json()) as { challenge: string }
    const stepped = await m.stepUp(token, cookie, {
      method: 'passkey',
      assertion: authenticator.assert(challenge),
    })
    expect(claimsOf(stepped.token)).toStrictEqual({ amr, acr: 'mfa' })
  })
})
