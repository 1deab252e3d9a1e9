/**
 * Confirming a TOTP enrolment adds the factor, so it asks for the recent proof the other factor
 * changes ask for (`freshAuthMaxAge`, and a factor's proof once the account has one), not only
 * the start of the enrolment.
 */
import { describe, expect, it } from 'vitest'
import { MINUTE } from './helpers.js'
import { mfaClient, mfaHarness, softAuthenticator, totpCode } from './mfa-helpers.js'

/** Asserts a `401 step_up_required` (its body carries what to step up to, besides the code). */
async function expectStepUp(res: Response) {
  expect(res.status).toBe(401)
  expect(((await res.json()) as { error: { code: string } }).error.code).toBe('step_up_required')
}

describe('POST /factors/totp/:id/confirm', () => {
  // Before: 200, the factor confirmed from a token whose proof was 11 minutes old.
  it('refuses a stale token with 401 step_up_required, and the enrolment stays pending', async () => {
    const h = await mfaHarness()
    const m = mfaClient(h)
    const login = await h.login('alice')
    const res = await m.api('/factors/totp', login.body.accessToken, 'POST', { label: 'Phone' })
    expect(res.status).toBe(201)
    const { id, secret } = (await res.json()) as { id: string; secret: string }
    h.clock.advance(11 * MINUTE)
    const stale = (await h.refreshOk(login.cookie)).body.accessToken
    const confirm = (token: string) =>
      m.api(`/factors/totp/${id}/confirm`, token, 'POST', {
        code: totpCode(secret, h.clock.now()),
      })
    await expectStepUp(await confirm(stale))
    expect(await h.store.factorStore!().listFactors('user-alice')).toMatchObject([
      { id, confirmedAt: null },
    ])
    expect(h.eventsOf('factor_added')).toStrictEqual([])

    // A fresh proof, and the same enrolment is confirmed.
    const fresh = await h.login('alice')
    expect((await confirm(fresh.body.accessToken)).status).toBe(200)
  })

  // Before: 200. An enrolment started while a password sufficed (no factor yet), kept pending and
  // unlisted, became a factor after the owner had added one, with no proof of that factor.
  it('asks for a proof of a factor once the account has one, however fresh the password', async () => {
    const h = await mfaHarness()
    const m = mfaClient(h)
    const login = await h.login('alice')
    const token = login.body.accessToken
    const res = await m.api('/factors/totp', token, 'POST', { label: 'Not mine' })
    const { id, secret } = (await res.json()) as { id: string; secret: string }
    // The owner registers a passkey in the meantime.
    const options = await m.api('/factors/passkey/options', token)
    const creation = (await options.json()) as { challenge: string; user: { id: string } }
    const response = softAuthenticator().register(creation)
    expect((await m.api('/factors/passkey', token, 'POST', { response })).status).toBe(201)

    // The token's password proof is seconds old: fresh, but no proof of a factor.
    const confirmed = await m.api(`/factors/totp/${id}/confirm`, token, 'POST', {
      code: totpCode(secret, h.clock.now()),
    })
    await expectStepUp(confirmed.clone())
    expect(confirmed.headers.get('www-authenticate')).toContain('acr_values="mfa"')
    const list = (await (await m.api('/factors', token, 'GET')).json()) as {
      factors: Array<{ method: string }>
    }
    expect(list.factors.map((f) => f.method)).toStrictEqual(['passkey'])
  })
})
