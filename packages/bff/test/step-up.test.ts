/**
 * Issue 13, item 3: step-up authentication (RFC 9470). Access tokens carry `auth_time` and `amr`;
 * `requireAuth({ maxAge, acr })` answers a token that falls short with the exact RFC 9470 challenge;
 * `POST /auth/reauthenticate` (CSRF, bearer and cookie of one session, the password again) makes
 * the session's authentication fresh, rotates the cookie and answers a grant.
 */
import { Hono } from 'hono'
import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import type { BffRequireAuthOptions, RequireAuthVariables } from '../src/index.js'
import {
  ALICE,
  client,
  cookieValue,
  createHarness,
  CSRF,
  expectError,
  MINUTE,
  passwordOf,
  refreshSetCookie,
  SECOND,
  T0,
  type Harness,
  type TokenResponse,
} from './helpers.js'

/** A host app with the BFF at `/`, `GET /api/me` signed-in only, `POST /api/transfer` sensitive. */
function hostApp(h: Harness, sensitive: BffRequireAuthOptions = { maxAge: '5m' }) {
  const app = new Hono<{ Variables: RequireAuthVariables }>()
  app.route('/', h.bff)
  app.use('/api/*', h.bff.requireAuth())
  const facts = (c: { var: RequireAuthVariables }) => ({
    authTime: c.var.authTime,
    amr: c.var.amr,
    acr: c.var.acr,
  })
  app.get('/api/me', (c) => c.json(facts(c)))
  app.post('/api/transfer', h.bff.requireAuth(sensitive), (c) => c.json(facts(c)))
  const send = client(app).send
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
  return {
    me: (token: string) => send('/api/me', { headers: bearer(token) }),
    transfer: (token: string) => send('/api/transfer', { method: 'POST', headers: bearer(token) }),
  }
}

/** `POST /auth/reauthenticate` as the client sends it. */
function reauthenticate(
  h: Harness,
  { token, cookie, body }: { token?: string; cookie?: string; body?: unknown },
  headers: Record<string, string> = CSRF,
) {
  return h.send('/auth/reauthenticate', {
    method: 'POST',
    headers: {
      ...headers,
      'content-type': 'application/json',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(cookie === undefined ? {} : { cookie: `__Host-baton_rt=${cookie}` }),
    },
    body: body === undefined ? null : JSON.stringify(body),
  })
}

const alicePassword = { username: 'alice', password: passwordOf('alice') }

describe('access tokens carry the authentication facts', () => {
  it('login puts auth_time (seconds) and amr ["pwd"] in the token, no acr', async () => {
    const h = await createHarness()
    h.clock.advance(1_700) // auth_time is a whole second, rounded down
    const { body } = await h.login('alice')
    const claims = decodeJwt(body.accessToken)
    expect(claims.auth_time).toBe((T0 + 1_000) / 1000)
    expect(claims.amr).toStrictEqual(['pwd'])
    expect('acr' in claims).toBe(false)
  })

  it('a refresh keeps auth_time: refreshing proves nothing about the user', async () => {
    const h = await createHarness()
    const login = await h.login('alice')
    h.clock.advance(3 * MINUTE)
    const { body } = await h.refreshOk(login.cookie)
    expect(decodeJwt(body.accessToken).auth_time).toBe(T0 / 1000)
  })

  it('requireAuth exposes authTime (epoch ms), amr and acr on c.var', async () => {
    const h = await createHarness()
    const { me } = hostApp(h)
    const { body } = await h.login('alice')
    const res = await me(body.accessToken)
    expect(await res.json()).toStrictEqual({ authTime: T0, amr: ['pwd'], acr: null })
  })
})

describe('requireAuth({ maxAge }): the RFC 9470 challenge', () => {
  it('passes a token whose authentication is exactly maxAge old, refuses one a second older', async () => {
    const h = await createHarness()
    const { transfer } = hostApp(h)
    const login = await h.login('alice')

    h.clock.advance(4 * MINUTE)
    const refreshed = await h.refreshOk(login.cookie)
    h.clock.advance(MINUTE)
    expect((await transfer(refreshed.body.accessToken)).status).toBe(200)

    h.clock.advance(SECOND)
    const res = await transfer(refreshed.body.accessToken)
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_user_authentication", ' +
        'error_description="More recent authentication is required.", max_age="300"',
    )
    expect(res.headers.get('content-type')).toBe('application/json; charset=UTF-8')
    expect(await res.json()).toStrictEqual({
      error: {
        code: 'step_up_required',
        message: 'More recent authentication is required.',
        maxAge: 300,
      },
    })
  })

  it('asks for acr_values when the class is wrong, and names both demands', async () => {
    const h = await createHarness()
    const { transfer } = hostApp(h, { maxAge: '10m', acr: ['urn:example:aal2', 'phr'] })
    const { body } = await h.login('alice')

    const res = await transfer(body.accessToken)

    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_user_authentication", ' +
        'error_description="A different authentication level is required.", ' +
        'acr_values="urn:example:aal2 phr", max_age="600"',
    )
    expect(await res.json()).toStrictEqual({
      error: {
        code: 'step_up_required',
        message: 'A different authentication level is required.',
        maxAge: 600,
        acrValues: ['urn:example:aal2', 'phr'],
      },
    })
  })

  it('a session rotated with authTime 0 (an anomaly) must step up at the next sensitive request', async () => {
    const h = await createHarness()
    const { transfer, me } = hostApp(h)
    const login = await h.login('alice')
    // What the anomaly response writes: the same rotation a refresh makes, with authTime 0.
    const session = (await h.store.get(login.body.sessionId))!
    expect(session.authTime).toBe(T0)
    const forced = await h.store.rotate(
      session.id,
      session.tokenHash,
      {
        tokenHash: session.tokenHash,
        previousTokenHash: session.previousTokenHash,
        rotatedAt: session.rotatedAt,
        sealedSuccessor: session.sealedSuccessor,
        generation: session.generation,
        lastUsedAt: session.lastUsedAt,
        idleExpiresAt: session.idleExpiresAt,
        ip: session.ip,
        userAgent: session.userAgent,
        authTime: 0,
        amr: session.amr,
        acr: session.acr,
      },
      T0,
    )
    expect(forced).toBe(true)

    const { body } = await h.refreshOk(login.cookie)
    expect(decodeJwt(body.accessToken).auth_time).toBe(0)
    expect((await me(body.accessToken)).status).toBe(200)
    await expectStepUp(await transfer(body.accessToken), 300)
  })

  it('checks its options when it is created', async () => {
    const h = await createHarness()
    expect(() => h.bff.requireAuth({ maxAge: 300 })).toThrow(
      new TypeError(
        'requireAuth: maxAge must be a whole number of seconds, at least "1s", got 300 ' +
          '(a number is milliseconds: write "300s" or 300_000)',
      ),
    )
    expect(() => h.bff.requireAuth({ maxAge: '1500ms' })).toThrow(/maxAge must be a whole number/)
    expect(() => h.bff.requireAuth({ maxAge: 'soon' as '5m' })).toThrow(/requireAuth: maxAge/)
    expect(() => h.bff.requireAuth({ acr: [] })).toThrow(
      new TypeError('requireAuth: acr must be a non-empty array of strings'),
    )
    expect(() => h.bff.requireAuth({ acr: ['a b'] })).toThrow(
      new TypeError(
        'requireAuth: acr value "a b" must be a non-empty string without spaces, quotes or backslashes',
      ),
    )
  })
})

async function expectStepUp(res: Response, maxAge: number) {
  expect(res.status).toBe(401)
  expect(res.headers.get('www-authenticate')).toBe(
    'Bearer error="insufficient_user_authentication", ' +
      `error_description="More recent authentication is required.", max_age="${maxAge}"`,
  )
  expect(await res.json()).toStrictEqual({
    error: { code: 'step_up_required', message: 'More recent authentication is required.', maxAge },
  })
}

describe('POST /auth/reauthenticate', () => {
  it('makes the authentication fresh: new grant, rotated cookie, auth_time now, event', async () => {
    const h = await createHarness()
    const { transfer } = hostApp(h)
    const login = await h.login('alice')
    h.clock.advance(20 * MINUTE)
    const stale = await h.refreshOk(login.cookie)
    await expectStepUp(await transfer(stale.body.accessToken), 300)

    const res = await reauthenticate(h, {
      token: stale.body.accessToken,
      cookie: stale.cookie,
      body: alicePassword,
    })

    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const cookie = cookieValue(res)
    expect(cookie).not.toBe(stale.cookie)
    expect(res.headers.getSetCookie()[0]).toBe(refreshSetCookie(cookie, 30 * 24 * 3600 - 20 * 60))
    const grant = (await res.json()) as TokenResponse
    expect(grant).toStrictEqual({
      accessToken: expect.any(String) as string,
      tokenType: 'Bearer',
      expiresAt: T0 + 25 * MINUTE,
      expiresIn: 300,
      idleExpiresIn: 24 * 3600,
      user: ALICE,
      sessionId: login.body.sessionId,
    })
    expect(decodeJwt(grant.accessToken).auth_time).toBe((T0 + 20 * MINUTE) / 1000)
    expect((await transfer(grant.accessToken)).status).toBe(200)
    expect(h.eventsOf('reauthenticated')).toStrictEqual([
      {
        type: 'reauthenticated',
        amr: ['pwd'],
        sessionId: login.body.sessionId,
        userId: ALICE.id,
        at: T0 + 20 * MINUTE,
        ip: null,
        userAgent: null,
      },
    ])
    // The devices list shows the new proof.
    const list = (await (await h.listSessions(grant.accessToken)).json()) as {
      sessions: { authTime: number }[]
    }
    expect(list.sessions.map((s) => s.authTime)).toStrictEqual([T0 + 20 * MINUTE])
  })

  it('rotates: the cookie from before the step-up is an ancestor, reuse once the grace is over', async () => {
    const h = await createHarness()
    const login = await h.login('alice')
    const res = await reauthenticate(h, {
      token: login.body.accessToken,
      cookie: login.cookie,
      body: alicePassword,
    })
    const fresh = cookieValue(res)
    // Within the grace period the old cookie gets the very successor the step-up minted.
    const duplicate = await h.refreshOk(login.cookie)
    expect(duplicate.cookie).toBe(fresh)

    h.clock.advance(11 * SECOND)
    await expectError(await h.refresh(login.cookie), 401, 'refresh_token_reused')
    await expectError(await h.refresh(fresh), 401, 'refresh_token_reused')
  })

  it('steps up from a cookie a concurrent refresh just rotated, without splitting the family', async () => {
    const h = await createHarness()
    const login = await h.login('alice')
    const refreshed = await h.refreshOk(login.cookie) // another tab, a moment earlier

    const res = await reauthenticate(h, {
      token: login.body.accessToken,
      cookie: login.cookie,
      body: alicePassword,
    })

    expect(res.status).toBe(200)
    const fresh = cookieValue(res)
    // The other tab's cookie is now the previous one: still good inside the grace period.
    expect((await h.refreshOk(refreshed.cookie)).cookie).toBe(fresh)
    expect((await h.refreshOk(fresh)).res.status).toBe(200)
  })

  it('refuses a wrong password with 401 invalid_credentials, leaves the session and cookies alone', async () => {
    const h = await createHarness()
    const login = await h.login('alice')
    const res = await reauthenticate(h, {
      token: login.body.accessToken,
      cookie: login.cookie,
      body: { username: 'alice', password: 'guess' },
    })
    expect(res.headers.getSetCookie()).toStrictEqual([])
    await expectError(res, 401, 'invalid_credentials')
    expect(h.eventsOf('reauthenticate_failed')).toStrictEqual([
      {
        type: 'reauthenticate_failed',
        reason: 'invalid_credentials',
        username: 'alice',
        sessionId: login.body.sessionId,
        userId: ALICE.id,
        at: T0,
        ip: null,
        userAgent: null,
      },
    ])
    expect((await h.refreshOk(login.cookie)).res.status).toBe(200)
  })

  it('refuses another user’s right password: a stolen session cannot be stepped up with mine', async () => {
    const h = await createHarness()
    const login = await h.login('alice')
    const res = await reauthenticate(h, {
      token: login.body.accessToken,
      cookie: login.cookie,
      body: { username: 'bob', password: passwordOf('bob') },
    })
    await expectError(res, 401, 'invalid_credentials')
    expect(h.eventsOf('reauthenticate_failed').map((e) => [e.reason, e.username])).toStrictEqual([
      ['user_mismatch', 'bob'],
    ])
    expect(h.eventsOf('reauthenticated')).toStrictEqual([])
    expect((await h.store.get(login.body.sessionId))?.authTime).toBe(T0)
  })

  it('needs the bearer token: without it 401 invalid_token, and no password is checked', async () => {
    let calls = 0
    const h = await createHarness({
      authenticate: async () => {
        calls++
        return ALICE
      },
    })
    const login = await h.login('alice')
    calls = 0
    const res = await reauthenticate(h, { cookie: login.cookie, body: alicePassword })
    expect(res.headers.get('www-authenticate')).toBe('Bearer')
    await expectError(res, 401, 'invalid_token')
    expect(calls).toBe(0)
  })

  it('needs the cookie of the bearer token’s own session', async () => {
    let calls = 0
    const h = await createHarness({
      authenticate: async ({ username }) => {
        calls++
        return username === 'alice' ? ALICE : null
      },
    })
    const first = await h.login('alice')
    const second = await h.login('alice')
    calls = 0

    // Another session's cookie: refused before any password is checked.
    const mixed = await reauthenticate(h, {
      token: first.body.accessToken,
      cookie: second.cookie,
      body: alicePassword,
    })
    await expectError(mixed, 401, 'no_session')
    const none = await reauthenticate(h, { token: first.body.accessToken, body: alicePassword })
    await expectError(none, 401, 'no_session')
    expect(calls).toBe(0)
  })

  it('answers session_revoked (and clears the cookies) for a session that has ended', async () => {
    const h = await createHarness()
    const login = await h.login('alice')
    await h.bff.admin.revokeSession(login.body.sessionId)
    const res = await reauthenticate(h, {
      token: login.body.accessToken,
      cookie: login.cookie,
      body: alicePassword,
    })
    expect(res.headers.getSetCookie()).toHaveLength(2)
    await expectError(res, 401, 'session_revoked')
  })

  it('is CSRF-checked like the other cookie routes', async () => {
    const h = await createHarness()
    const login = await h.login('alice')
    const res = await reauthenticate(
      h,
      { token: login.body.accessToken, cookie: login.cookie, body: alicePassword },
      { origin: 'https://evil.example' },
    )
    await expectError(res, 403, 'csrf_failed')
    expect(h.eventsOf('csrf_failed').map((e) => [e.route, e.reason])).toStrictEqual([
      ['reauthenticate', 'header_missing'],
    ])
  })

  it.each([
    [undefined, 'Expected a JSON object { username, password }.'],
    [['alice'], 'Expected a JSON object { username, password }.'],
    [{ username: '', password: 'x' }, 'username must be a non-empty string.'],
    [{ username: 'alice', password: 7 }, 'password must be a non-empty string.'],
    [{ username: 'a'.repeat(257), password: 'x' }, 'username must be at most 256 characters.'],
  ])('answers 400 invalid_request for the body %j', async (body, message) => {
    const h = await createHarness()
    const login = await h.login('alice')
    const res = await reauthenticate(h, {
      token: login.body.accessToken,
      cookie: login.cookie,
      body,
    })
    expect({ status: res.status, body: await res.json() }).toStrictEqual({
      status: 400,
      body: { error: { code: 'invalid_request', message } },
    })
  })

  it('answers 400 for a body that is not JSON, never 500', async () => {
    const h = await createHarness()
    const login = await h.login('alice')
    const res = await h.send('/auth/reauthenticate', {
      method: 'POST',
      headers: {
        ...CSRF,
        authorization: `Bearer ${login.body.accessToken}`,
        cookie: `__Host-baton_rt=${login.cookie}`,
      },
      body: '{"username":',
    })
    await expectError(res, 400, 'invalid_request')
  })
})
