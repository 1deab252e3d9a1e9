/**
 * DPoP at the resource server (RFC 9449 §7) and server nonces (§8, §9): `requireAuth()` accepts a
 * bound token only with a proof by its key for this request, refuses it as a bearer token, and
 * the nonce flow works on the BFF's routes and on the API.
 */
import { Hono } from 'hono'
import { beforeEach, describe, expect, it } from 'vitest'
import { requireAuth, type RequireAuthVariables } from '../src/index.js'
import { createHarness, expectError, MINUTE, ORIGIN, type Harness } from './helpers.js'
import {
  deviceKey,
  NONCE_CHALLENGE,
  proof,
  proofChallenge,
  tokenChallenge,
  type DeviceKey,
} from './dpop-helpers.js'

const ME = '/api/me'

function apiOf(h: Harness, options: Parameters<Harness['bff']['requireAuth']>[0] = {}) {
  const api = new Hono<{ Variables: RequireAuthVariables }>()
  api.use('/api/*', h.bff.requireAuth(options))
  api.get(ME, (c) => c.json({ id: c.var.userId, jkt: c.var.claims.cnf?.jkt ?? null }))
  return (headers: Record<string, string>) =>
    api.request(new Request(new URL(ME, ORIGIN), { headers }))
}

describe('requireAuth with a bound token', () => {
  let h: Harness
  let key: DeviceKey
  let token: string
  let call: ReturnType<typeof apiOf>

  beforeEach(async () => {
    h = await createHarness()
    key = await deviceKey()
    ;({
      body: { accessToken: token },
    } = await h.login('alice', {
      headers: { dpop: await proof(key, { htu: '/auth/login', at: h.clock.now() }) },
    }))
    call = apiOf(h)
  })

  const apiProof = (fields: Partial<Parameters<typeof proof>[1]> = {}) =>
    proof(key, { htm: 'GET', htu: ME, at: h.clock.now(), accessToken: token, ...fields })

  it('accepts it as DPoP with a proof by its key', async () => {
    const res = await call({ authorization: `DPoP ${token}`, dpop: await apiProof() })
    expect(res.status).toBe(200)
    expect(await res.json()).toStrictEqual({ id: 'user-alice', jkt: key.jkt })
  })

  it('refuses it as a bearer token (a token copied out of the browser)', async () => {
    const res = await call({ authorization: `Bearer ${token}` })
    expect(res.headers.get('www-authenticate')).toBe(
      tokenChallenge(
        'This access token is bound to a key; send it as Authorization: DPoP with a proof.',
      ),
    )
    await expectError(res, 401, 'invalid_token')
  })

  it('refuses it as DPoP without a proof', async () => {
    const res = await call({ authorization: `DPoP ${token}` })
    expect(res.headers.get('www-authenticate')).toBe(proofChallenge('A DPoP proof is required'))
    await expectError(res, 401, 'invalid_dpop_proof')
  })

  it('refuses a proof whose ath is another token’s', async () => {
    const res = await call({
      authorization: `DPoP ${token}`,
      dpop: await apiProof({ accessToken: `${token}x` }),
    })
    expect(res.headers.get('www-authenticate')).toBe(
      proofChallenge('The DPoP proof ath does not match the access token'),
    )
    await expectError(res, 401, 'invalid_dpop_proof')
  })

  it('refuses a valid proof by another key than cnf.jkt (a stolen token, the thief’s key)', async () => {
    const thief = await deviceKey()
    const res = await call({
      authorization: `DPoP ${token}`,
      dpop: await proof(thief, { htm: 'GET', htu: ME, at: h.clock.now(), accessToken: token }),
    })
    expect(res.headers.get('www-authenticate')).toBe(
      proofChallenge('The DPoP proof is not signed by the key the access token is bound to'),
    )
    await expectError(res, 401, 'invalid_dpop_proof')
  })

  it('refuses a replayed proof, also at another instance sharing the store', async () => {
    const once = await apiProof()
    expect((await call({ authorization: `DPoP ${token}`, dpop: once })).status).toBe(200)
    await expectError(
      await call({ authorization: `DPoP ${token}`, dpop: once }),
      401,
      'invalid_dpop_proof',
    )
    // A second middleware (another instance) on the same store has seen it too.
    const other = apiOf(h)
    await expectError(
      await other({ authorization: `DPoP ${token}`, dpop: once }),
      401,
      'invalid_dpop_proof',
    )
  })

  it('refuses a proof for another method, URL or time', async () => {
    for (const dpop of [
      await apiProof({ htm: 'POST' }),
      await apiProof({ htu: '/api/other' }),
      await apiProof({ at: h.clock.now() - 2 * MINUTE }),
    ]) {
      await expectError(
        await call({ authorization: `DPoP ${token}`, dpop }),
        401,
        'invalid_dpop_proof',
      )
    }
  })

  it('serves the devices list to a bound token sent as DPoP', async () => {
    const res = await h.send('/auth/sessions', {
      headers: {
        authorization: `DPoP ${token}`,
        dpop: await apiProof({ htu: '/auth/sessions' }),
      },
    })
    expect(res.status).toBe(200)
  })
})

describe('requireAuth with an unbound token', () => {
  it('accepts a bearer token with dpop allowed, refuses it with dpop required', async () => {
    const h = await createHarness()
    const { body } = await h.login('alice')
    expect((await apiOf(h)({ authorization: `Bearer ${body.accessToken}` })).status).toBe(200)
    const res = await apiOf(h, { dpop: 'required' })({
      authorization: `Bearer ${body.accessToken}`,
    })
    expect(res.headers.get('www-authenticate')).toBe(
      tokenChallenge('A DPoP-bound access token is required.'),
    )
    await expectError(res, 401, 'invalid_token')
  })

  it('refuses an unbound token sent as DPoP', async () => {
    const h = await createHarness()
    const { body } = await h.login('alice')
    const res = await apiOf(h)({ authorization: `DPoP ${body.accessToken}` })
    expect(res.headers.get('www-authenticate')).toBe(
      tokenChallenge('The access token is not bound to a key.'),
    )
    await expectError(res, 401, 'invalid_token')
  })

  it('checks its dpop option at start-up', () => {
    const base = { jwks: { keys: [] }, issuer: 'baton', audience: 'baton-api' }
    expect(() => requireAuth({ ...base, dpop: 'sometimes' as 'allowed' })).toThrow(
      new TypeError('requireAuth: dpop must be "allowed" or "required", got "sometimes"'),
    )
  })
})

describe('server nonces', () => {
  const SECRET = 'n'.repeat(32)

  it('asks a login for a nonce (400), then takes the retry and hands out the next one', async () => {
    const h = await createHarness({ dpop: { nonce: { secret: SECRET, lifetime: '5m' } } })
    const key = await deviceKey()
    const at = h.clock.now()
    const first = await h.post('/login', {
      headers: {
        'content-type': 'application/json',
        dpop: await proof(key, { htu: '/auth/login', at }),
      },
      body: JSON.stringify({ username: 'alice', password: 'correct horse battery staple' }),
    })
    const nonce = first.headers.get('dpop-nonce')
    expect(first.headers.get('www-authenticate')).toBe(NONCE_CHALLENGE)
    await expectError(first, 400, 'use_dpop_nonce')
    expect(nonce).toMatch(/^[0-9a-z]+\.[A-Za-z0-9_-]{43}$/)
    const { res, cookie, body } = await h.login('alice', {
      headers: { dpop: await proof(key, { htu: '/auth/login', at, nonce: nonce! }) },
    })
    expect(res.headers.get('dpop-nonce')).toBe(nonce)
    expect(body.tokenType).toBe('DPoP')

    // Two windows later the nonce is stale: asked again, with a new one.
    h.clock.advance(10 * MINUTE)
    const stale = await h.refresh(cookie, {
      headers: { dpop: await proof(key, { at: h.clock.now(), nonce: nonce! }) },
    })
    const fresh = stale.headers.get('dpop-nonce')
    await expectError(stale, 400, 'use_dpop_nonce')
    expect(fresh).not.toBe(nonce)
    await h.refreshOk(cookie, {
      headers: { dpop: await proof(key, { at: h.clock.now(), nonce: fresh! }) },
    })
  })

  it('the nonce-less first try of a sign-in spends none of the address budget', async () => {
    const h = await createHarness({
      dpop: { nonce: { secret: SECRET } },
      rateLimit: { username: false, login: { points: 2 } },
    })
    const key = await deviceKey()
    const signIn = async (password: string, nonce?: string) =>
      h.post('/login', {
        ip: '203.0.113.9',
        headers: {
          'content-type': 'application/json',
          dpop: await proof(key, {
            htu: '/auth/login',
            at: h.clock.now(),
            ...(nonce === undefined ? {} : { nonce }),
          }),
        },
        body: JSON.stringify({ username: 'alice', password }),
      })
    // Two wrong passwords, each sent the way a client does: without the nonce, then with it.
    for (let i = 0; i < 2; i++) {
      const asked = await signIn('wrong')
      await expectError(asked, 400, 'use_dpop_nonce')
      await expectError(
        await signIn('wrong', asked.headers.get('dpop-nonce')!),
        401,
        'invalid_credentials',
      )
    }
    // Two attempts were judged: the budget of two is spent, whatever the nonce.
    const asked = await signIn('correct horse battery staple')
    expect(asked.status).toBe(429)
    expect(((await asked.json()) as { error: { code: string } }).error.code).toBe('rate_limited')
  })

  it('refuses a forged nonce', async () => {
    const h = await createHarness({ dpop: { nonce: { secret: SECRET } } })
    const key = await deviceKey()
    const res = await h.post('/login', {
      headers: {
        'content-type': 'application/json',
        dpop: await proof(key, {
          htu: '/auth/login',
          at: h.clock.now(),
          nonce: `${Math.floor(h.clock.now() / (5 * MINUTE)).toString(36)}.${'A'.repeat(43)}`,
        }),
      },
      body: JSON.stringify({ username: 'alice', password: 'correct horse battery staple' }),
    })
    await expectError(res, 400, 'use_dpop_nonce')
  })

  it('asks an API call for a nonce with 401 and a DPoP challenge, and sends one on success', async () => {
    const h = await createHarness({ dpop: { nonce: { secret: SECRET } } })
    const key = await deviceKey()
    const first = await h.post('/login', {
      headers: {
        'content-type': 'application/json',
        dpop: await proof(key, { htu: '/auth/login', at: h.clock.now() }),
      },
      body: JSON.stringify({ username: 'alice', password: 'correct horse battery staple' }),
    })
    const nonce = first.headers.get('dpop-nonce')!
    const { body } = await h.login('alice', {
      headers: { dpop: await proof(key, { htu: '/auth/login', at: h.clock.now(), nonce }) },
    })
    const call = apiOf(h)
    const sign = (withNonce?: string) =>
      proof(key, {
        htm: 'GET',
        htu: ME,
        at: h.clock.now(),
        accessToken: body.accessToken,
        ...(withNonce ? { nonce: withNonce } : {}),
      })
    const asked = await call({ authorization: `DPoP ${body.accessToken}`, dpop: await sign() })
    expect(asked.headers.get('www-authenticate')).toBe(NONCE_CHALLENGE)
    expect(asked.headers.get('dpop-nonce')).toBe(nonce)
    await expectError(asked, 401, 'use_dpop_nonce')
    const ok = await call({ authorization: `DPoP ${body.accessToken}`, dpop: await sign(nonce) })
    expect(ok.status).toBe(200)
    expect(ok.headers.get('dpop-nonce')).toBe(nonce)
  })
})
