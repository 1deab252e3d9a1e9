/**
 * `binding: 'required'` and access tokens without `cnf.jkt`: one issued before the policy changed
 * (or by an instance still on `'if_supported'`) must not be taken as a plain bearer token by any
 * authenticated route of the BFF (`/sessions`, `/factors`, `/reauthenticate`) nor by
 * `bff.requireAuth()`, as refresh and step-up already refuse its session. Each is answered
 * `401 invalid_token` with the `DPoP` challenge (RFC 9449 §7.1), as `requireAuth({ dpop:
 * 'required' })` answers it.
 */
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { requireAuth, type BffOptions, type RequireAuthVariables } from '../src/index.js'
import { memoryStore } from '../src/stores/memory.js'
import { deviceKey, proof, tokenChallenge } from './dpop-helpers.js'
import { createHarness, expectError, ORIGIN, passwordOf, type Harness } from './helpers.js'
import { ENCRYPTION_KEY, mfaClient } from './mfa-helpers.js'

const REQUIRED = 'A DPoP-bound access token is required.'

/** An unbound session made under `if_supported`, then a BFF on the same store and keys requiring binding. */
async function switched(options: Partial<BffOptions> = {}) {
  const store = memoryStore({ sweepInterval: 0 })
  const before = await createHarness({ store, ...options })
  const { body, cookie } = await before.login('alice')
  expect(body.tokenType).toBe('Bearer')
  const after = await createHarness({
    store,
    keys: before.keys,
    now: before.clock.now,
    binding: 'required',
    ...options,
  })
  return { before, after, token: body.accessToken, cookie }
}

async function expectRefused(res: Response) {
  expect(res.headers.get('www-authenticate')).toBe(tokenChallenge(REQUIRED))
  await expectError(res, 401, 'invalid_token')
}

const api = (h: Harness, middleware = h.bff.requireAuth()) => {
  const app = new Hono<{ Variables: RequireAuthVariables }>()
  app.use('/api/*', middleware)
  app.get('/api/me', (c) => c.json({ id: c.var.userId }))
  return (headers: Record<string, string>) =>
    app.request(new Request(new URL('/api/me', ORIGIN), { headers }))
}

describe("binding 'required' refuses unbound access tokens", () => {
  it('on GET and DELETE /sessions', async () => {
    const { before, after, token } = await switched()
    // The same token is fine where binding is not required: the refusal is the policy's.
    expect((await before.listSessions(token)).status).toBe(200)
    await expectRefused(await after.listSessions(token))
    await expectRefused(
      await after.send('/auth/sessions?scope=others', {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}` },
      }),
    )
  })

  it('asks for a DPoP token when none is sent', async () => {
    const { after } = await switched()
    await expectRefused(await after.send('/auth/sessions'))
  })

  it('on the factor routes', async () => {
    const { before, after, token } = await switched({ mfa: { encryptionKey: ENCRYPTION_KEY } })
    expect((await mfaClient(before).api('/factors', token, 'GET')).status).toBe(200)
    await expectRefused(await mfaClient(after).api('/factors', token, 'GET'))
    await expectRefused(await mfaClient(after).api('/factors/totp', token, 'POST', {}))
    await expectRefused(await mfaClient(after).api('/reauthenticate/passkey/options', token))
  })

  it('on POST /reauthenticate', async () => {
    const { after, token, cookie } = await switched()
    const res = await after.post('/reauthenticate', {
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        cookie: `__Host-baton_rt=${cookie}`,
      },
      body: JSON.stringify({ username: 'alice', password: passwordOf('alice') }),
    })
    await expectRefused(res)
  })

  it('in bff.requireAuth(), whatever its other options', async () => {
    const { before, after, token } = await switched()
    expect((await api(before)({ authorization: `Bearer ${token}` })).status).toBe(200)
    await expectRefused(await api(after)({ authorization: `Bearer ${token}` }))
    const withOptions = after.bff.requireAuth({ checkRevoked: false, dpop: { proofWindow: '30s' } })
    await expectRefused(await api(after, withOptions)({ authorization: `Bearer ${token}` }))
  })

  it('refuses to make a bff.requireAuth() that would accept them', async () => {
    const { after } = await switched()
    const message =
      'bff.requireAuth: dpop mode "allowed" would accept unbound tokens, which binding "required" refuses'
    expect(() => after.bff.requireAuth({ dpop: 'allowed' })).toThrow(new TypeError(message))
    expect(() => after.bff.requireAuth({ dpop: { mode: 'allowed' } })).toThrow(
      new TypeError(message),
    )
    expect(() => after.bff.requireAuth({ dpop: 'required' })).not.toThrow()
    expect(() => after.bff.requireAuth({ dpop: 'sometimes' as 'required' })).toThrow(
      new TypeError('requireAuth: dpop.mode must be "allowed" or "required", got "sometimes"'),
    )
  })

  it('still accepts a bound token with its proof', async () => {
    const h = await createHarness({ binding: 'required' })
    const key = await deviceKey()
    const { body } = await h.login('alice', {
      headers: { dpop: await proof(key, { htu: '/auth/login', at: h.clock.now() }) },
    })
    const dpop = await proof(key, {
      htm: 'GET',
      htu: '/auth/sessions',
      at: h.clock.now(),
      accessToken: body.accessToken,
    })
    const res = await h.send('/auth/sessions', {
      headers: { authorization: `DPoP ${body.accessToken}`, dpop },
    })
    expect(res.status).toBe(200)
    const apiProof = await proof(key, {
      htm: 'GET',
      htu: '/api/me',
      at: h.clock.now(),
      accessToken: body.accessToken,
    })
    const me = await api(h)({ authorization: `DPoP ${body.accessToken}`, dpop: apiProof })
    expect(me.status).toBe(200)
  })

  // A service verifying tokens on its own cannot see the BFF's policy: its README-documented
  // default stays 'allowed', and `dpop: 'required'` is how it follows a BFF that requires binding.
  it('leaves a standalone requireAuth() to its dpop option', async () => {
    const { before, after, token } = await switched()
    // The harness's own `keys` are not the ones it was given: the tokens are signed with before's.
    const base = { jwks: before.keys, issuer: 'baton', audience: 'baton-api', now: after.clock.now }
    const call = (dpop: 'allowed' | 'required') =>
      api(after, requireAuth({ ...base, dpop }))({ authorization: `Bearer ${token}` })
    expect((await call('allowed')).status).toBe(200)
    await expectRefused(await call('required'))
  })
})
