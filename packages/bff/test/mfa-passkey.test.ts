/**
 * Issue 17, passkeys (WebAuthn L3) on the BFF: registration, use as a second factor, passwordless
 * sign-in, step-up, and every refusal (a replayed or expired challenge, a counter that went back,
 * another origin, a passwordless assertion without user verification). Assertions come from the
 * software authenticator in `mfa-helpers.ts`, verified by `@simplewebauthn/server` as a browser's.
 */
import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import { expectError, MINUTE, type Harness } from './helpers.js'
import { mfaClient, mfaHarness, softAuthenticator, type TokenResponse } from './mfa-helpers.js'

type Authenticator = ReturnType<typeof softAuthenticator>

/** Alice signs in with her password and registers `authenticator`. */
async function registered(h: Harness, authenticator: Authenticator) {
  const m = mfaClient(h)
  const { body, cookie } = await h.login('alice')
  const token = body.accessToken
  const options = await m.api('/factors/passkey/options', token)
  expect(options.status).toBe(200)
  const creation = (await options.json()) as {
    challenge: string
    user: { id: string; name: string }
    rp: { id: string; name: string }
    authenticatorSelection: unknown
    pubKeyCredParams: unknown
  }
  // The same on every runtime (Node 24's WebCrypto would add ML-DSA-44, which Node 22 cannot
  // verify): EdDSA, ES256, RS256, in that order of preference.
  expect(creation.pubKeyCredParams).toStrictEqual([
    { alg: -8, type: 'public-key' },
    { alg: -7, type: 'public-key' },
    { alg: -257, type: 'public-key' },
  ])
  expect(creation.rp).toStrictEqual({ id: 'localhost', name: 'baton' })
  expect(creation.user.name).toBe('Alice')
  expect(creation.authenticatorSelection).toStrictEqual({
    residentKey: 'required',
    userVerification: 'preferred',
    requireResidentKey: true,
  })
  const res = await m.api('/factors/passkey', token, 'POST', {
    response: authenticator.register(creation),
    label: 'Laptop',
  })
  expect(res.status).toBe(201)
  const { factor } = (await res.json()) as { factor: { id: string } }
  return { m, token, cookie, factorId: factor.id }
}

const challengeOf = async (res: Response) => {
  expect(res.status).toBe(200)
  return ((await res.json()) as { challenge: string }).challenge
}

describe('registration', () => {
  it('registers a passkey and lists it with its backup state, nothing secret', async () => {
    const h = await mfaHarness()
    const { m, token, factorId } = await registered(h, softAuthenticator({ synced: true }))
    const list = await m.api('/factors', token, 'GET')
    expect(await list.json()).toStrictEqual({
      factors: [
        {
          id: factorId,
          method: 'passkey',
          label: 'Laptop',
          createdAt: h.clock.now(),
          lastUsedAt: null,
          backedUp: true,
        },
      ],
      recoveryCodesLeft: 0,
    })
    expect(h.eventsOf('factor_added').map((e) => e.method)).toStrictEqual(['passkey'])
  })

  it('refuses a registration for a challenge used already, and the same passkey twice', async () => {
    const h = await mfaHarness()
    const authenticator = softAuthenticator()
    const { m, token, cookie } = await registered(h, authenticator)
    // With a passkey registered, changing factors wants a proof of one (acr mfa).
    const assertion = authenticator.assert(
      await challengeOf(await m.api('/reauthenticate/passkey/options', token)),
    )
    const stepped = await m.stepUp(token, cookie, { method: 'passkey', assertion })
    const again = (await (await m.api('/factors/passkey/options', stepped.token)).json()) as {
      challenge: string
      user: { id: string }
      excludeCredentials: Array<{ id: string }>
    }
    expect(again.excludeCredentials.map((c) => c.id)).toStrictEqual([authenticator.credentialId])
    const twice = await m.api('/factors/passkey', stepped.token, 'POST', {
      response: authenticator.register(again),
    })
    await expectError(twice, 400, 'invalid_request')
    // The challenge that attempt used is spent, for another passkey too.
    const replay = await m.api('/factors/passkey', stepped.token, 'POST', {
      response: softAuthenticator().register(again),
    })
    await expectError(replay, 403, 'invalid_credentials')
  })
  it.each([[{}], [5], [true], [{ length: 2 }], ['internal'], [[{ a: 1 }]]])(
    'refuses transports %j with 400 invalid_request, never a 500, and keeps the challenge',
    async (transports) => {
      const h = await mfaHarness()
      const m = mfaClient(h)
      const { body } = await h.login('alice')
      const options = await m.api('/factors/passkey/options', body.accessToken)
      const creation = (await options.json()) as { challenge: string; user: { id: string } }
      const response = softAuthenticator().register(creation) as {
        response: Record<string, unknown>
      }
      const given = response.response['transports']
      response.response['transports'] = transports

      const refused = await m.api('/factors/passkey', body.accessToken, 'POST', { response })
      await expectError(refused, 400, 'invalid_request')
      expect(h.logger.error).not.toHaveBeenCalled()
      // Before: a 500, with the challenge spent (`{ length: 2 }` and `'internal'` were stored).
      response.response['transports'] = given
      const registered = await m.api('/factors/passkey', body.accessToken, 'POST', { response })
      expect(registered.status).toBe(201)
    },
  )

  it('refuses the 21st factor even when its ceremony started before the 20th was stored', async () => {
    const h = await mfaHarness({}, { rateLimit: false })
    const m = mfaClient(h)
    const { body, cookie } = await h.login('alice')
    const token = body.accessToken
    // 21 ceremonies started while the user has no factor: each passed the cap when it started.
    const creations: Array<{ challenge: string; user: { id: string } }> = []
    for (let i = 0; i < 21; i++) {
      const options = await m.api('/factors/passkey/options', token)
      creations.push((await options.json()) as { challenge: string; user: { id: string } })
    }
    const first = softAuthenticator()
    const registeredFirst = await m.api('/factors/passkey', token, 'POST', {
      response: first.register(creations[0]!),
    })
    expect(registeredFirst.status).toBe(201)
    // The next ones want a proof of the first (acr mfa).
    const assertion = first.assert(
      await challengeOf(await m.api('/reauthenticate/passkey/options', token)),
    )
    const stepped = (await m.stepUp(token, cookie, { method: 'passkey', assertion })).token
    for (const creation of creations.slice(1, 20)) {
      const res = await m.api('/factors/passkey', stepped, 'POST', {
        response: softAuthenticator().register(creation),
      })
      expect(res.status).toBe(201)
    }

    const last = await m.api('/factors/passkey', stepped, 'POST', {
      response: softAuthenticator().register(creations[20]!),
    })

    // Before: 201, and the user had 21 factors.
    await expectError(last, 400, 'invalid_request')
    const list = (await (await m.api('/factors', stepped, 'GET')).json()) as {
      factors: unknown[]
    }
    expect(list.factors).toHaveLength(20)
  })
})

describe('a passkey as the second factor', () => {
  it('completes a password sign-in with amr pwd + hwk + mfa', async () => {
    const h = await mfaHarness()
    const authenticator = softAuthenticator()
    const { m } = await registered(h, authenticator)
    const ticket = await m.challenged()
    expect(ticket.methods).toStrictEqual(['passkey'])
    const options = await h.post('/login/passkey/options', {
      headers: { 'content-type': 'application/json', cookie: `__Host-baton_mfa=${ticket.binder}` },
      body: JSON.stringify({ ticket: ticket.ticket }),
    })
    const assertion = authenticator.assert(await challengeOf(options))
    const res = await m.loginMfa(
      { ticket: ticket.ticket, method: 'passkey', assertion },
      ticket.binder,
    )
    expect(res.status).toBe(200)
    const claims = decodeJwt(((await res.json()) as TokenResponse).accessToken)
    expect({ amr: claims.amr, acr: claims.acr }).toStrictEqual({
      amr: ['pwd', 'hwk', 'mfa'],
      acr: 'mfa',
    })
  })

  it('refuses an assertion for a challenge issued to nobody, or for another ticket', async () => {
    const h = await mfaHarness()
    const authenticator = softAuthenticator()
    const { m } = await registered(h, authenticator)
    const ticket = await m.challenged()
    // A passwordless challenge is not one for this ticket.
    const loose = await h.post('/login/passkey/options', {
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    const assertion = authenticator.assert(await challengeOf(loose))
    await expectError(
      await m.loginMfa({ ticket: ticket.ticket, method: 'passkey', assertion }, ticket.binder),
      401,
      'invalid_credentials',
    )
  })
})

describe('passwordless sign-in', () => {
  const passwordless = async (h: Harness, authenticator: Authenticator, step = 1) => {
    const options = await h.post('/login/passkey/options', {
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    const assertion = authenticator.assert(await challengeOf(options), step)
    return {
      assertion,
      res: await h.post('/login/passkey', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ assertion }),
      }),
    }
  }

  it('signs in with a synced passkey alone: amr swk + mfa, acr mfa, the user as registered', async () => {
    const h = await mfaHarness()
    const authenticator = softAuthenticator({ synced: true })
    await registered(h, authenticator)
    const { res } = await passwordless(h, authenticator)
    expect(res.status).toBe(200)
    const grant = (await res.json()) as TokenResponse
    expect(grant.user).toStrictEqual({ id: 'user-alice', name: 'Alice' })
    expect(decodeJwt(grant.accessToken)).toMatchObject({ amr: ['swk', 'mfa'], acr: 'mfa' })
  })

  it('refuses a replayed assertion, a counter that went back, and an expired challenge', async () => {
    const h = await mfaHarness()
    const authenticator = softAuthenticator()
    await registered(h, authenticator)
    const { res, assertion } = await passwordless(h, authenticator)
    expect(res.status).toBe(200)
    const replay = await h.post('/login/passkey', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ assertion }),
    })
    await expectError(replay, 401, 'invalid_credentials')
    // A clone of the authenticator, one use behind.
    authenticator.state.counter -= 1
    await expectError((await passwordless(h, authenticator, 0)).res, 401, 'invalid_credentials')

    const options = await h.post('/login/passkey/options', {
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    const late = authenticator.assert(await challengeOf(options), 5)
    h.clock.advance(2 * MINUTE)
    const expired = await h.post('/login/passkey', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ assertion: late }),
    })
    await expectError(expired, 401, 'invalid_credentials')
  })

  it('refuses an assertion without user verification, and one from another origin', async () => {
    const h = await mfaHarness()
    const presence = softAuthenticator({ userVerified: false })
    await registered(h, presence)
    await expectError((await passwordless(h, presence)).res, 401, 'invalid_credentials')

    const h2 = await mfaHarness()
    const phishing = softAuthenticator({ origin: 'https://evil.example' })
    const m = mfaClient(h2)
    const { body } = await h2.login('alice')
    const creation = (await (await m.api('/factors/passkey/options', body.accessToken)).json()) as {
      challenge: string
      user: { id: string }
    }
    const res = await m.api('/factors/passkey', body.accessToken, 'POST', {
      response: phishing.register(creation),
    })
    await expectError(res, 400, 'invalid_request')
  })

  it('refuses a user handle that is not base64url with 401 invalid_credentials, never a 500', async () => {
    const h = await mfaHarness()
    const options = await h.post('/login/passkey/options', {
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    const assertion = softAuthenticator().assert(await challengeOf(options))
    // One character: no base64url encoding has that length. Before: jose threw, a 500.
    assertion.response.userHandle = 'A'

    const res = await h.post('/login/passkey', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ assertion }),
    })

    await expectError(res, 401, 'invalid_credentials')
    expect(h.logger.error).not.toHaveBeenCalled()
  })

  it('can be turned off: passkeys stay a second factor', async () => {
    const h = await mfaHarness({ passkeyLogin: false })
    const res = await h.post('/login/passkey/options', {
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    await expectError(res, 400, 'invalid_request')
  })
})

describe('step-up with a passkey', () => {
  it('raises a password session to acr mfa', async () => {
    const h = await mfaHarness()
    const authenticator = softAuthenticator()
    const { m, token, cookie } = await registered(h, authenticator)
    const options = await m.api('/reauthenticate/passkey/options', token)
    const assertion = authenticator.assert(await challengeOf(options))
    const res = await h.post('/reauthenticate', {
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        cookie: `__Host-baton_rt=${cookie}`,
      },
      body: JSON.stringify({ method: 'passkey', assertion }),
    })
    expect(res.status).toBe(200)
    expect(decodeJwt(((await res.json()) as TokenResponse).accessToken)).toMatchObject({
      amr: ['hwk', 'mfa'],
      acr: 'mfa',
    })
  })
})

describe('step-up options', () => {
  it('refuses the token of an ended session: it would still list the user’s passkeys', async () => {
    const h = await mfaHarness()
    const { m, token, cookie } = await registered(h, softAuthenticator())
    expect((await h.logout(cookie, { everywhere: true })).status).toBe(204)
    await expectError(await m.api('/reauthenticate/passkey/options', token), 401, 'invalid_token')
  })
})
