import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { memoryStore, type SessionStore, type SessionUser } from '../src/index.js'
import { postgresStore } from '../src/stores/postgres.js'
import { sqliteStore } from '../src/stores/sqlite.js'
import {
  ALICE,
  createHarness,
  CSRF,
  expectError,
  REFRESH_COOKIE,
  REFRESH_TOKEN,
  SESSION_ID,
  T0,
  type Harness,
  hintCookie,
} from './helpers.js'
import { dropSchema, POSTGRES_URL, postgresAvailable, uniqueSchema } from './postgres-helpers.js'

const JSON_HEADERS = { 'content-type': 'application/json' }

const schema = uniqueSchema()
afterAll(async () => {
  if (postgresAvailable) await dropSchema(schema)
})

describe('POST /auth/login with valid credentials', () => {
  let h: Harness
  beforeEach(async () => {
    h = await createHarness()
  })

  it('answers 200 with the token response', async () => {
    const { res, body } = await h.login('alice')

    expect(body).toStrictEqual({
      accessToken: expect.any(String) as string,
      tokenType: 'Bearer',
      expiresAt: T0 + 300_000,
      expiresIn: 300,
      idleExpiresIn: 86_400,
      user: ALICE,
      sessionId: expect.stringMatching(SESSION_ID) as string,
    })
    expect(res.headers.get('content-type')).toBe('application/json')
    expect(res.headers.get('cache-control')).toBe('no-store')
  })

  it('sets exactly one refresh cookie, __Host-, HttpOnly, Secure, SameSite=Strict, on Path=/, living as long as the session, and the session hint beside it', async () => {
    const { res, cookie } = await h.login('alice')

    expect(cookie).toMatch(REFRESH_TOKEN)
    expect(res.headers.getSetCookie()).toStrictEqual([
      `__Host-baton_rt=${cookie}; Max-Age=2592000; Path=/; HttpOnly; Secure; SameSite=Strict`,
      hintCookie(cookie, 2592000),
    ])
  })

  it('issues an ES256 at+jwt access token with exactly iss, aud, sub, sid, iat, exp, jti, client_id, auth_time and amr', async () => {
    const { body } = await h.login('alice')
    const [jwk] = (await h.keys.jwks()).keys

    expect(decodeProtectedHeader(body.accessToken)).toStrictEqual({
      alg: 'ES256',
      kid: jwk!.kid,
      typ: 'at+jwt',
    })
    expect(decodeJwt(body.accessToken)).toStrictEqual({
      iss: 'baton',
      aud: 'baton-api',
      sub: ALICE.id,
      sid: body.sessionId,
      iat: T0 / 1000,
      exp: T0 / 1000 + 300,
      jti: expect.stringMatching(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      ) as string,
      // RFC 9068 §2.2; the audience unless `clientId` says otherwise.
      client_id: 'baton-api',
      // OIDC / RFC 9470 step-up: when and how the user proved who they are.
      auth_time: T0 / 1000,
      amr: ['pwd'],
    })
  })

  it('signs the access token with a key from the published JWKS', async () => {
    const { body } = await h.login('alice')
    const jwks = (await (await h.send('/.well-known/jwks.json')).json()) as Parameters<
      typeof createLocalJWKSet
    >[0]

    const { payload } = await jwtVerify(body.accessToken, createLocalJWKSet(jwks), {
      currentDate: new Date(T0),
      issuer: 'baton',
      audience: 'baton-api',
      typ: 'at+jwt',
    })
    expect(payload.sub).toBe(ALICE.id)
  })

  it('emits one login event with the session, user, time, IP and user agent', async () => {
    const { body } = await h.login('alice', {
      headers: { 'user-agent': 'Vitest/1.0' },
      ip: '203.0.113.7',
    })

    expect(h.events).toStrictEqual([
      {
        type: 'login',
        sessionId: body.sessionId,
        userId: ALICE.id,
        at: T0,
        ip: '203.0.113.7',
        userAgent: 'Vitest/1.0',
      },
    ])
  })

  it('passes exactly the submitted username and password to authenticate', async () => {
    const authenticate = vi.fn(async () => ALICE)
    const custom = await createHarness({ authenticate })

    await custom.post('/login', {
      headers: JSON_HEADERS,
      body: JSON.stringify({ username: 'alice', password: 's3cret', extra: true }),
    })

    expect(authenticate).toHaveBeenCalledTimes(1)
    expect(authenticate.mock.calls[0]).toStrictEqual([
      { username: 'alice', password: 's3cret' },
      expect.anything(),
    ])
  })

  it('starts a new session even when a refresh cookie is sent along (no session fixation)', async () => {
    const first = await h.login('alice')

    const second = await h.login('alice', {
      headers: { cookie: `${REFRESH_COOKIE}=${first.cookie}` },
    })

    expect(second.body.sessionId).not.toBe(first.body.sessionId)
    expect(second.cookie).not.toBe(first.cookie)
  })

  it('honours accessTokenTtl, issuer and audience', async () => {
    const custom = await createHarness({
      accessTokenTtl: '15m',
      issuer: 'https://id.example',
      audience: 'orders',
    })

    const { body } = await custom.login('alice')

    expect(body.expiresIn).toBe(900)
    expect(body.expiresAt).toBe(T0 + 900_000)
    expect(decodeJwt(body.accessToken)).toMatchObject({
      iss: 'https://id.example',
      aud: 'orders',
      exp: T0 / 1000 + 900,
    })
  })

  it('accepts a body of exactly 8 KiB', async () => {
    const json = JSON.stringify({ username: 'alice', password: 'correct horse battery staple' })
    const body = json + ' '.repeat(8 * 1024 - json.length)

    const res = await h.post('/login', { headers: JSON_HEADERS, body })

    expect(res.status).toBe(200)
  })
})

describe('POST /auth/login with wrong credentials', () => {
  let h: Harness
  beforeEach(async () => {
    h = await createHarness()
  })

  it.each([
    ['a wrong password', { username: 'alice', password: 'nope' }],
    ['an unknown user', { username: 'mallory', password: 'correct horse battery staple' }],
  ])('answers 401 invalid_credentials for %s, without a cookie', async (_, credentials) => {
    const res = await h.post('/login', { headers: JSON_HEADERS, body: JSON.stringify(credentials) })

    expect(res.headers.getSetCookie()).toStrictEqual([])
    await expectError(res, 401, 'invalid_credentials')
  })

  it('emits one login_failed event naming the username', async () => {
    await h.post('/login', {
      headers: { ...JSON_HEADERS, 'user-agent': 'Vitest/1.0' },
      body: JSON.stringify({ username: 'alice', password: 'nope' }),
    })

    expect(h.events).toStrictEqual([
      { type: 'login_failed', username: 'alice', at: T0, ip: null, userAgent: 'Vitest/1.0' },
    ])
  })
})

describe('POST /auth/login with a malformed request', () => {
  let h: Harness
  beforeEach(async () => {
    h = await createHarness()
  })

  it.each([
    ['no body', null],
    ['a blank body', '  \n'],
    ['invalid JSON', '{"username": "alice", '],
    ['a JSON array', '["alice", "pw"]'],
    ['JSON null', 'null'],
    ['a JSON string', '"alice"'],
    ['a missing username', '{"password":"pw"}'],
    ['a missing password', '{"username":"alice"}'],
    ['an empty username', '{"username":"","password":"pw"}'],
    ['an empty password', '{"username":"alice","password":""}'],
    ['a numeric username', '{"username":42,"password":"pw"}'],
    ['an object password', '{"username":"alice","password":{"$ne":null}}'],
    ['a 257-character username', JSON.stringify({ username: 'u'.repeat(257), password: 'pw' })],
    [
      'a 1025-character password',
      JSON.stringify({ username: 'alice', password: 'p'.repeat(1025) }),
    ],
  ])('answers 400 invalid_request for %s, without calling authenticate', async (_, body) => {
    const authenticate = vi.fn(async () => ALICE)
    const strict = await createHarness({ authenticate })

    const res = await strict.post('/login', { headers: JSON_HEADERS, body })

    await expectError(res, 400, 'invalid_request')
    expect(authenticate).not.toHaveBeenCalled()
    expect(strict.events).toStrictEqual([])
  })

  it('accepts fields at exactly the maximum lengths', async () => {
    const authenticate = vi.fn(async () => null)
    const strict = await createHarness({ authenticate })

    const res = await strict.post('/login', {
      headers: JSON_HEADERS,
      body: JSON.stringify({ username: 'u'.repeat(256), password: 'p'.repeat(1024) }),
    })

    await expectError(res, 401, 'invalid_credentials')
    expect(authenticate).toHaveBeenCalledTimes(1)
  })

  it('applies maxUsernameLength and maxPasswordLength', async () => {
    const strict = await createHarness({ maxUsernameLength: 5, maxPasswordLength: 8 })

    const longName = await strict.post('/login', {
      headers: JSON_HEADERS,
      body: JSON.stringify({ username: 'alice!', password: 'pw' }),
    })
    const longPassword = await strict.post('/login', {
      headers: JSON_HEADERS,
      body: JSON.stringify({ username: 'alice', password: '123456789' }),
    })

    await expectError(longName, 400, 'invalid_request')
    await expectError(longPassword, 400, 'invalid_request')
  })

  it('answers 413 payload_too_large for a body one byte over 8 KiB', async () => {
    const res = await h.post('/login', { headers: JSON_HEADERS, body: ' '.repeat(8 * 1024 + 1) })

    await expectError(res, 413, 'payload_too_large')
  })

  it('answers 413 payload_too_large from the Content-Length alone', async () => {
    const res = await h.post('/login', {
      headers: { ...JSON_HEADERS, 'content-length': String(1024 * 1024) },
      body: '{}',
    })

    await expectError(res, 413, 'payload_too_large')
  })

  it('answers 413 payload_too_large for a 1 MiB JSON body without logging an error', async () => {
    const body = JSON.stringify({ username: 'alice', password: 'p'.repeat(1024 * 1024) })

    const res = await h.post('/login', { headers: JSON_HEADERS, body })

    await expectError(res, 413, 'payload_too_large')
    expect(h.logger.error).not.toHaveBeenCalled()
  })
})

describe('POST /auth/login when authenticate misbehaves', () => {
  it('answers 500 internal without leaking the error, and logs it', async () => {
    const h = await createHarness({
      authenticate: async () => {
        throw new Error('database password is hunter2')
      },
    })

    const res = await h.post('/login', {
      headers: { ...CSRF, ...JSON_HEADERS },
      body: JSON.stringify({ username: 'alice', password: 'pw' }),
    })

    expect(await res.clone().text()).not.toContain('hunter2')
    await expectError(res, 500, 'internal')
    expect(h.logger.error).toHaveBeenCalledTimes(1)
  })

  // Before, an id with U+0000 signed in on the memory and SQLite stores and was refused by
  // PostgreSQL's TEXT as `503 store_unavailable`, a retry that never succeeds.
  it.each([
    ['an empty id', ''],
    ['a number', 42],
    ['a NUL in the id', 'user\u0000alice'],
    // Before, a lone surrogate signed in everywhere; node-postgres stored it as U+FFFD, another id.
    ['a lone surrogate in the id', 'user\ud800alice'],
  ])('refuses %s alike on every store: 500 internal, logged, no session', async (_, id) => {
    const stores: Array<[string, () => SessionStore]> = [
      ['memory', () => memoryStore({ sweepInterval: 0 })],
      ['sqlite', () => sqliteStore({ path: ':memory:', sweepInterval: 0 })],
    ]
    if (postgresAvailable) {
      stores.push([
        'postgres',
        () => postgresStore({ pool: POSTGRES_URL, schema, sweepInterval: 0 }),
      ])
    }
    const outcomes: Record<string, unknown> = {}
    for (const [name, open] of stores) {
      const store = open()
      // What an untyped application may return: the check is at run time.
      const user = { id, name: 'Alice' } as unknown as SessionUser
      const h = await createHarness({ store, authenticate: async () => user })
      const res = await h.post('/login', {
        headers: { ...CSRF, ...JSON_HEADERS },
        body: JSON.stringify({ username: 'alice', password: 'pw' }),
      })
      outcomes[name] = {
        status: res.status,
        code: ((await res.json()) as { error: { code: string } }).error.code,
        cookies: res.headers.getSetCookie(),
        logged: vi.mocked(h.logger.error).mock.calls.length,
      }
      await store.close()
    }
    const refused = { status: 500, code: 'internal', cookies: [], logged: 1 }
    expect(outcomes).toStrictEqual(Object.fromEntries(stores.map(([name]) => [name, refused])))
  })
})

describe('an onEvent hook that fails', () => {
  it.each([
    [
      'throws',
      () => {
        throw new Error('audit log down')
      },
    ],
    ['rejects', () => Promise.reject(new Error('audit log down'))],
  ])('that %s does not fail the login, and is logged once', async (_, onEvent) => {
    const h = await createHarness({ onEvent })

    const { body } = await h.login('alice')
    await Promise.resolve()

    expect(body.user).toStrictEqual(ALICE)
    expect(h.logger.error).toHaveBeenCalledTimes(1)
    expect(h.logger.error.mock.calls[0]![0]).toBe('[baton] onEvent failed')
  })
})
