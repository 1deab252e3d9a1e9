/**
 * Device binding on the cookie routes (RFC 9449): a login with a proof binds the session to the
 * browser key; every refresh and logout of a bound session must carry a valid, fresh, unused proof
 * by that key. Each refusal is reproduced here through the routes, with its exact answer.
 */
import { SignJWT, exportJWK, generateKeyPair } from 'jose'
import { beforeEach, describe, expect, it } from 'vitest'
import { createBff, memoryStore } from '../src/index.js'
import {
  authenticate,
  CLEARED_COOKIE,
  createHarness,
  expectError,
  MINUTE,
  passwordOf,
  SECOND,
  type Harness,
} from './helpers.js'
import {
  claimsOf,
  deviceKey,
  proof,
  proofChallenge,
  tokenChallenge,
  type DeviceKey,
} from './dpop-helpers.js'
import { mfaClient, mfaHarness } from './mfa-helpers.js'

const LOGIN = '/auth/login'

describe('binding at login', () => {
  it('binds a session whose login carries a proof: DPoP grant, cnf.jkt, bound in the devices list', async () => {
    const h = await createHarness()
    const key = await deviceKey()
    const { body } = await h.login('alice', {
      headers: { dpop: await proof(key, { htu: LOGIN, at: h.clock.now() }) },
    })
    expect(body.tokenType).toBe('DPoP')
    expect(claimsOf(body.accessToken).cnf).toStrictEqual({ jkt: key.jkt })
    expect((await h.store.get(body.sessionId))?.jkt).toBe(key.jkt)
  })

  it('makes an unbound session without a proof (if_supported): Bearer, no cnf', async () => {
    const h = await createHarness()
    const { body } = await h.login('alice')
    expect(body.tokenType).toBe('Bearer')
    expect(claimsOf(body.accessToken).cnf).toBeUndefined()
    expect((await h.store.get(body.sessionId))?.jkt).toBeNull()
  })

  it('refuses a login without a proof when binding is required', async () => {
    const h = await createHarness({ binding: 'required' })
    const res = await h.post('/login', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: 'correct horse battery staple' }),
    })
    expect(res.headers.get('www-authenticate')).toBe(proofChallenge('A DPoP proof is required'))
    await expectError(res, 401, 'invalid_dpop_proof')
    expect(h.eventsOf('login')).toHaveLength(0)
  })

  it('refuses a login with a bad proof rather than making it unbound', async () => {
    const h = await createHarness()
    const key = await deviceKey()
    const res = await h.post('/login', {
      headers: {
        'content-type': 'application/json',
        dpop: await proof(key, { htu: '/auth/refresh', at: h.clock.now() }),
      },
      body: JSON.stringify({ username: 'alice', password: 'correct horse battery staple' }),
    })
    expect(res.headers.get('www-authenticate')).toBe(
      proofChallenge('The DPoP proof htu does not match the request URL'),
    )
    await expectError(res, 401, 'invalid_dpop_proof')
  })

  it('ignores proofs with binding off', async () => {
    const h = await createHarness({ binding: 'off' })
    const key = await deviceKey()
    const { body } = await h.login('alice', {
      headers: { dpop: await proof(key, { htu: LOGIN, at: h.clock.now() }) },
    })
    expect(body.tokenType).toBe('Bearer')
    expect((await h.store.get(body.sessionId))?.jkt).toBeNull()
  })

  it('shows bound and unbound sessions as such in the devices list', async () => {
    const h = await createHarness()
    const key = await deviceKey()
    const bound = await h.login('alice', {
      headers: { dpop: await proof(key, { htu: LOGIN, at: h.clock.now() }) },
    })
    // Listed oldest first: a second apart, so the order is not left to their random ids.
    h.clock.advance(SECOND)
    const unbound = await h.login('alice')
    const res = await h.listSessions(unbound.body.accessToken)
    const { sessions: list } = (await res.json()) as { sessions: { id: string; bound: boolean }[] }
    expect(list.map(({ id, bound }) => ({ id, bound }))).toStrictEqual([
      { id: bound.body.sessionId, bound: true },
      { id: unbound.body.sessionId, bound: false },
    ])
  })
})

describe('refresh of a bound session', () => {
  let h: Harness
  let key: DeviceKey
  let cookie: string

  beforeEach(async () => {
    h = await createHarness()
    key = await deviceKey()
    ;({ cookie } = await h.login('alice', {
      headers: { dpop: await proof(key, { htu: LOGIN, at: h.clock.now() }) },
    }))
  })

  /** A refresh with `dpop` refused with `description`, which ends nothing. */
  const refused = async (dpop: string | undefined, description: string) => {
    const res = await h.refresh(cookie, { headers: dpop === undefined ? {} : { dpop } })
    expect(res.headers.get('www-authenticate')).toBe(proofChallenge(description))
    expect(res.headers.getSetCookie()).toStrictEqual([])
    await expectError(res, 401, 'invalid_dpop_proof')
    // Nothing was ended: the owner's next refresh goes through.
    const next = await h.refreshOk(cookie, {
      headers: { dpop: await proof(key, { at: h.clock.now() }) },
    })
    expect(next.body.tokenType).toBe('DPoP')
    expect(h.eventsOf('revoked')).toStrictEqual([])
  }

  it('refreshes with a valid proof, keeping the binding', async () => {
    const { body } = await h.refreshOk(cookie, {
      headers: { dpop: await proof(key, { at: h.clock.now() }) },
    })
    expect(body.tokenType).toBe('DPoP')
    expect(claimsOf(body.accessToken).cnf).toStrictEqual({ jkt: key.jkt })
  })

  it('refuses a missing proof', async () => {
    await refused(undefined, 'A DPoP proof is required')
  })

  it('refuses a proof that is not a JWT', async () => {
    await refused('not-a-jwt', 'The DPoP proof is not a JWT')
  })

  it('refuses two DPoP headers', async () => {
    const one = await proof(key, { at: h.clock.now() })
    await refused(`${one}, ${one}`, 'Exactly one DPoP header is allowed')
  })

  it('refuses a proof whose typ is not dpop+jwt', async () => {
    await refused(
      await proof(key, { at: h.clock.now(), typ: 'JWT' }),
      'The DPoP proof must have typ dpop+jwt',
    )
  })

  it.each(['application/dpop+jwt', 'DPoP+JWT'])(
    'takes a proof whose typ is %s: the same media type (RFC 7515 §4.1.9)',
    async (typ) => {
      // Before: refused by a comparison stricter than the signature check's own.
      const { body } = await h.refreshOk(cookie, {
        headers: { dpop: await proof(key, { at: h.clock.now(), typ }) },
      })
      expect(claimsOf(body.accessToken).cnf).toStrictEqual({ jkt: key.jkt })
    },
  )

  it('refuses a proof signed with another algorithm (HS256, ES384)', async () => {
    const secret = new TextEncoder().encode('a'.repeat(32))
    const hs256 = await new SignJWT({
      htm: 'POST',
      htu: 'http://localhost/auth/refresh',
      jti: 'x'.repeat(22),
    })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'HS256', jwk: key.jwk })
      .setIssuedAt(Math.floor(h.clock.now() / 1000))
      .sign(secret)
    await refused(hs256, 'The DPoP proof must be signed with ES256')
    const p384 = await generateKeyPair('ES384')
    const es384 = await new SignJWT({
      htm: 'POST',
      htu: 'http://localhost/auth/refresh',
      jti: 'y'.repeat(22),
    })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES384', jwk: await exportJWK(p384.publicKey) })
      .setIssuedAt(Math.floor(h.clock.now() / 1000))
      .sign(p384.privateKey)
    await refused(es384, 'The DPoP proof must be signed with ES256')
  })

  it('refuses a proof whose signature does not verify', async () => {
    const good = await proof(key, { at: h.clock.now() })
    const other = await proof(key, { at: h.clock.now(), htm: 'GET' })
    const [header, , signature] = good.split('.')
    await refused(
      `${header}.${other.split('.')[1]}.${signature}`,
      'The DPoP proof signature or claims are invalid',
    )
  })

  it('refuses a proof carrying private key material in its jwk', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true })
    const privateJwk = await exportJWK(privateKey)
    await refused(
      await proof(key, { at: h.clock.now(), jwk: privateJwk }),
      'The DPoP proof key must be a public key',
    )
  })

  it('refuses a proof for another method or another URL', async () => {
    await refused(
      await proof(key, { at: h.clock.now(), htm: 'GET' }),
      'The DPoP proof htm does not match the request method',
    )
    await refused(
      await proof(key, { at: h.clock.now(), htu: '/auth/logout' }),
      'The DPoP proof htu does not match the request URL',
    )
    await refused(
      await proof(key, { at: h.clock.now(), htu: 'https://evil.example/auth/refresh' }),
      'The DPoP proof htu does not match the request URL',
    )
  })

  it('ignores the query of the request and of htu', async () => {
    const res = await h.send('/auth/refresh?x=1', {
      method: 'POST',
      headers: {
        'x-csrf': '1',
        'sec-fetch-site': 'same-origin',
        cookie: `__Host-baton_rt=${cookie}`,
        dpop: await proof(key, { at: h.clock.now(), htu: '/auth/refresh?y=2#z' }),
      },
    })
    expect(res.status).toBe(200)
  })

  it('refuses a proof more than 60 s old or ahead, and takes one 59 s off', async () => {
    const now = h.clock.now()
    await refused(
      await proof(key, { at: now - 61 * SECOND }),
      'The DPoP proof iat is outside the accepted window',
    )
    await refused(
      await proof(key, { at: now + 61 * SECOND }),
      'The DPoP proof iat is outside the accepted window',
    )
    await h.refreshOk(cookie, { headers: { dpop: await proof(key, { at: now - 59 * SECOND }) } })
  })

  it('refuses a replayed proof', async () => {
    const once = await proof(key, { at: h.clock.now() })
    const first = await h.refreshOk(cookie, { headers: { dpop: once } })
    cookie = first.cookie
    await refused(once, 'The DPoP proof was already used')
  })

  it('refuses a jti too short to be random', async () => {
    await refused(
      await proof(key, { at: h.clock.now(), jti: 'abc' }),
      'The DPoP proof needs a jti of 16 to 256 characters',
    )
  })

  it('revokes the session when a valid proof comes from another key (a copied cookie)', async () => {
    const thief = await deviceKey()
    const [login] = h.eventsOf('login')
    const res = await h.refresh(cookie, {
      headers: { dpop: await proof(thief, { at: h.clock.now() }) },
    })
    expect(res.headers.getSetCookie()[0]).toBe(CLEARED_COOKIE)
    await expectError(res, 401, 'session_revoked')
    expect(h.eventsOf('binding_mismatch')).toStrictEqual([
      {
        type: 'binding_mismatch',
        route: 'refresh',
        jkt: key.jkt,
        presentedJkt: thief.jkt,
        sessionId: login!.sessionId,
        userId: 'user-alice',
        at: h.clock.now(),
        ip: null,
        userAgent: null,
      },
    ])
    expect(h.eventsOf('revoked').map((e) => e.reason)).toStrictEqual(['binding_mismatch'])
    // The owner is signed out too: the family is over.
    const owner = await h.refresh(cookie, {
      headers: { dpop: await proof(key, { at: h.clock.now() }) },
    })
    await expectError(owner, 401, 'session_revoked')
  })
})

describe('a rotated-out cookie of a bound session', () => {
  /** Alice's bound session, rotated once and past the grace period: `old` is reuse now. */
  async function rotated() {
    const h = await createHarness()
    const key = await deviceKey()
    const { body, cookie: old } = await h.login('alice', {
      headers: { dpop: await proof(key, { htu: LOGIN, at: h.clock.now() }) },
    })
    const { cookie } = await h.refreshOk(old, {
      headers: { dpop: await proof(key, { at: h.clock.now() }) },
    })
    h.clock.advance(MINUTE)
    return { h, key, sessionId: body.sessionId, old, cookie }
  }

  // Reuse comes before the proof (issue 5's reuse detection, issue 12 L5): a copied cookie
  // replayed after the owner's next refresh is caught as theft, with or without a key.
  it('is reuse without a proof: the family ends and every device is signed out', async () => {
    const { h, key, sessionId, old, cookie } = await rotated()
    await expectError(await h.refresh(old), 401, 'refresh_token_reused')
    expect((await h.store.get(sessionId))?.revokedReason).toBe('reuse_detected')
    expect(h.eventsOf('reuse_detected')).toHaveLength(1)
    const owner = await h.refresh(cookie, {
      headers: { dpop: await proof(key, { at: h.clock.now() }) },
    })
    // The owner's own refresh says why, as the client's notice does.
    await expectError(owner, 401, 'refresh_token_reused')
  })

  it('is reuse with another key’s proof and with its own key’s', async () => {
    for (const signer of ['thief', 'owner'] as const) {
      const { h, key, sessionId, old } = await rotated()
      const res = await h.refresh(old, {
        headers: {
          dpop: await proof(signer === 'owner' ? key : await deviceKey(), { at: h.clock.now() }),
        },
      })
      await expectError(res, 401, 'refresh_token_reused')
      expect((await h.store.get(sessionId))?.revokedReason).toBe('reuse_detected')
    }
  })
})

describe('logout of a bound session', () => {
  it('ends the session with a proof by its key', async () => {
    const h = await createHarness()
    const key = await deviceKey()
    const { body, cookie } = await h.login('alice', {
      headers: { dpop: await proof(key, { htu: LOGIN, at: h.clock.now() }) },
    })
    const res = await h.post('/logout', {
      headers: {
        cookie: `__Host-baton_rt=${cookie}`,
        dpop: await proof(key, { htu: '/auth/logout', at: h.clock.now() }),
      },
    })
    expect(res.status).toBe(204)
    expect((await h.store.get(body.sessionId))?.revokedReason).toBe('logout')
  })

  it('ends nothing without a proof: a copied cookie cannot sign the user out', async () => {
    const h = await createHarness()
    const key = await deviceKey()
    const { body, cookie } = await h.login('alice', {
      headers: { dpop: await proof(key, { htu: LOGIN, at: h.clock.now() }) },
    })
    const res = await h.post('/logout', {
      headers: { cookie: `__Host-baton_rt=${cookie}`, 'content-type': 'application/json' },
      body: JSON.stringify({ everywhere: true }),
    })
    await expectError(res, 401, 'invalid_dpop_proof')
    expect((await h.store.get(body.sessionId))?.revokedAt).toBeNull()
    expect(h.eventsOf('logout_failed').map((e) => e.reason)).toStrictEqual(['invalid_dpop_proof'])
  })

  it('revokes the session when the logout is signed by another key', async () => {
    const h = await createHarness()
    const key = await deviceKey()
    const { body, cookie } = await h.login('alice', {
      headers: { dpop: await proof(key, { htu: LOGIN, at: h.clock.now() }) },
    })
    const res = await h.post('/logout', {
      headers: {
        cookie: `__Host-baton_rt=${cookie}`,
        dpop: await proof(await deviceKey(), { htu: '/auth/logout', at: h.clock.now() }),
      },
    })
    await expectError(res, 401, 'session_revoked')
    expect((await h.store.get(body.sessionId))?.revokedReason).toBe('binding_mismatch')
    expect(h.eventsOf('binding_mismatch').map((e) => e.route)).toStrictEqual(['logout'])
    expect(h.eventsOf('logout_failed')).toStrictEqual([])
  })
})

describe('policy and unbound sessions', () => {
  it('refuses the refresh of an unbound session once binding is required', async () => {
    const store = memoryStore({ sweepInterval: 0 })
    const before = await createHarness({ store })
    const { cookie } = await before.login('alice')
    const after = await createHarness({ store, binding: 'required', now: before.clock.now })
    const res = await after.refresh(cookie)
    await expectError(res, 401, 'session_revoked')
  })

  // Before, POST /reauthenticate rotated the unbound cookie and issued a fresh grant (200). Its
  // token is unbound too, so the bearer check refuses it first, as every route under 'required'.
  it('refuses the step-up of an unbound session (its unbound token: 401 invalid_token)', async () => {
    const store = memoryStore({ sweepInterval: 0 })
    const before = await createHarness({ store })
    const { body, cookie } = await before.login('alice')
    expect(body.tokenType).toBe('Bearer')
    const after = await createHarness({
      store,
      keys: before.keys,
      binding: 'required',
      now: before.clock.now,
    })
    // The same cookie and its token: a step-up rotates the cookie and issues a grant as refresh
    // does, so it must not keep the session alive after the policy ended it.
    const res = await after.post('/reauthenticate', {
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${body.accessToken}`,
        cookie: `__Host-baton_rt=${cookie}`,
      },
      body: JSON.stringify({ username: 'alice', password: passwordOf('alice') }),
    })
    expect(res.headers.get('www-authenticate')).toBe(
      tokenChallenge('A DPoP-bound access token is required.'),
    )
    await expectError(res, 401, 'invalid_token')
    await expectError(await after.refresh(cookie), 401, 'session_revoked')
  })

  // Before, the options were handed out, and the step-up refused only after the whole ceremony.
  it('refuses the passkey options of an unbound session’s step-up before the ceremony', async () => {
    const store = memoryStore({ sweepInterval: 0 })
    const before = await mfaHarness({}, { store })
    const { body } = await before.login('alice')
    const after = await mfaHarness(
      {},
      { store, keys: before.keys, binding: 'required', now: before.clock.now },
    )
    const res = await mfaClient(after).api('/reauthenticate/passkey/options', body.accessToken)
    expect(res.headers.get('www-authenticate')).toBe(
      tokenChallenge('A DPoP-bound access token is required.'),
    )
    await expectError(res, 401, 'invalid_token')
  })

  it('refreshes an unbound session without a proof (if_supported), ignoring one if sent', async () => {
    const h = await createHarness()
    const { cookie } = await h.login('alice')
    const { body, cookie: next } = await h.refreshOk(cookie)
    expect(body.tokenType).toBe('Bearer')
    await h.refreshOk(next, { headers: { dpop: 'garbage' } })
  })
})

describe('options', () => {
  it('names the option it refuses', () => {
    const base = { authenticate }
    expect(() => createBff({ ...base, binding: 'sometimes' as 'off' })).toThrow(
      new TypeError(
        'createBff: binding must be "required", "if_supported" or "off", got "sometimes"',
      ),
    )
    expect(() => createBff({ ...base, dpop: { origins: ['https://app.example/'] } })).toThrow(
      new TypeError(
        'createBff: dpop.origins: "https://app.example/" is not an origin like "https://app.example"',
      ),
    )
    expect(() => createBff({ ...base, dpop: { proofWindow: '0s' } })).toThrow(
      new TypeError('createBff: dpop.proofWindow must be at least 1s'),
    )
    expect(() => createBff({ ...base, dpop: { nonce: { secret: 'short' } } })).toThrow(
      new TypeError(
        'createBff: dpop.nonce.secret must be at least 32 bytes (or a string of 32 characters)',
      ),
    )
  })

  it('checks htu against the public origins behind a proxy, never X-Forwarded-Host', async () => {
    const h = await createHarness({ dpop: { origins: ['https://app.example.com'] } })
    const key = await deviceKey()
    const at = h.clock.now()
    const { cookie } = await h.login('alice', {
      headers: { dpop: await proof(key, { htu: `https://app.example.com${LOGIN}`, at }) },
    })
    // The origin the BFF itself sees is not one of them.
    const own = await h.refresh(cookie, {
      headers: { dpop: await proof(key, { htu: 'http://localhost/auth/refresh', at }) },
    })
    await expectError(own, 401, 'invalid_dpop_proof')
    const forwarded = await h.refresh(cookie, {
      headers: {
        'x-forwarded-host': 'evil.example',
        'x-forwarded-proto': 'https',
        dpop: await proof(key, { htu: 'https://evil.example/auth/refresh', at }),
      },
    })
    await expectError(forwarded, 401, 'invalid_dpop_proof')
    await h.refreshOk(cookie, {
      headers: { dpop: await proof(key, { htu: 'https://app.example.com/auth/refresh', at }) },
    })
  })
})

describe('reauthenticate of a bound session', () => {
  const reauth = async (h: Harness, cookie: string, headers: Record<string, string>) =>
    h.post('/reauthenticate', {
      headers: {
        cookie: `__Host-baton_rt=${cookie}`,
        'content-type': 'application/json',
        ...headers,
      },
      body: JSON.stringify({ username: 'alice', password: 'correct horse battery staple' }),
    })

  it('steps up with the token as DPoP and a proof by the key, staying bound', async () => {
    const h = await createHarness()
    const key = await deviceKey()
    const { body, cookie } = await h.login('alice', {
      headers: { dpop: await proof(key, { htu: LOGIN, at: h.clock.now() }) },
    })
    const res = await reauth(h, cookie, {
      authorization: `DPoP ${body.accessToken}`,
      dpop: await proof(key, {
        htu: '/auth/reauthenticate',
        at: h.clock.now(),
        accessToken: body.accessToken,
      }),
    })
    expect(res.status).toBe(200)
    const grant = (await res.json()) as { tokenType: string; accessToken: string }
    expect(grant.tokenType).toBe('DPoP')
    expect(claimsOf(grant.accessToken).cnf).toStrictEqual({ jkt: key.jkt })
  })

  it('refuses the bound token as a bearer, and a proof by another key', async () => {
    const h = await createHarness()
    const key = await deviceKey()
    const { body, cookie } = await h.login('alice', {
      headers: { dpop: await proof(key, { htu: LOGIN, at: h.clock.now() }) },
    })
    await expectError(
      await reauth(h, cookie, { authorization: `Bearer ${body.accessToken}` }),
      401,
      'invalid_token',
    )
    const thief = await deviceKey()
    await expectError(
      await reauth(h, cookie, {
        authorization: `DPoP ${body.accessToken}`,
        dpop: await proof(thief, {
          htu: '/auth/reauthenticate',
          at: h.clock.now(),
          accessToken: body.accessToken,
        }),
      }),
      401,
      'invalid_dpop_proof',
    )
    expect(h.eventsOf('reauthenticated')).toStrictEqual([])
  })
})
