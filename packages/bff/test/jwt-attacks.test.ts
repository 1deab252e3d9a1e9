import { Hono } from 'hono'
import {
  base64url,
  decodeJwt,
  exportSPKI,
  generateKeyPair,
  importJWK,
  SignJWT,
  UnsecuredJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { requireAuth, type RequireAuthOptions, type RequireAuthVariables } from '../src/index.js'
import {
  ALICE,
  BOB,
  createHarness,
  expectError,
  ORIGIN,
  SECOND,
  T0,
  type Harness,
  type TokenResponse,
} from './helpers.js'

const INVALID_TOKEN_CHALLENGE =
  'Bearer error="invalid_token", error_description="The access token is invalid or expired."'

const encodeJson = (value: unknown) => base64url.encode(JSON.stringify(value))

/** A service protected by the exported `requireAuth()`, echoing what it put on `c.var`. */
function protectedApi(h: Harness, options: Partial<RequireAuthOptions> = {}) {
  const api = new Hono<{ Variables: RequireAuthVariables }>()
  api.use(
    '/api/*',
    requireAuth({
      jwks: h.keys,
      issuer: 'baton',
      audience: 'baton-api',
      now: h.clock.now,
      ...options,
    }),
  )
  api.get('/api/me', (c) =>
    c.json({ userId: c.var.userId, sessionId: c.var.sessionId, claims: c.var.claims }),
  )
  return {
    get: (authorization?: string) =>
      api.request(
        new Request(`${ORIGIN}/api/me`, {
          headers: authorization === undefined ? {} : { authorization },
        }),
      ),
  }
}

/** Both places that verify access tokens: the BFF's own session routes and `requireAuth()`. */
const VERIFIERS = {
  'GET /auth/sessions': (h: Harness, authorization: string) =>
    h.send('/auth/sessions', { headers: { authorization } }),
  'requireAuth()': (h: Harness, authorization: string) => protectedApi(h).get(authorization),
}

describe.each(Object.entries(VERIFIERS))('access token attacks against %s', (_, verify) => {
  let h: Harness
  let login: { body: TokenResponse }
  let realKey: CryptoKey
  let realJwk: JWK
  let claims: JWTPayload

  beforeEach(async () => {
    h = await createHarness()
    login = await h.login('alice')
    realKey = (await importJWK(h.signingKey, 'ES256')) as CryptoKey
    realJwk = (await h.keys.jwks()).keys[0]!
    claims = decodeJwt(login.body.accessToken)
  })

  /** Signs `payload` with the BFF's own private key and header, unless told otherwise. */
  const sign = (
    payload: Record<string, unknown>,
    header: Record<string, unknown> = { alg: 'ES256', kid: realJwk.kid, typ: 'at+jwt' },
    key: CryptoKey | Uint8Array = realKey,
  ) =>
    // A claim set to `undefined` is left out of the JSON, which is how the tests remove one.
    new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(key)

  const expectRefused = async (token: string) => {
    const res = await verify(h, `Bearer ${token}`)
    expect(res.headers.get('www-authenticate')).toBe(INVALID_TOKEN_CHALLENGE)
    await expectError(res, 401, 'invalid_token')
  }

  it('accepts the genuine token and an identical one signed here (the forging set-up is sound)', async () => {
    const genuine = await verify(h, `Bearer ${login.body.accessToken}`)
    const resigned = await verify(h, `Bearer ${await sign(claims)}`)

    expect([genuine.status, resigned.status]).toStrictEqual([200, 200])
  })

  it('refuses alg: none', async () => {
    await expectRefused(new UnsecuredJWT(claims).encode())
  })

  it('refuses alg: none with the real kid and typ', async () => {
    const header = { alg: 'none', kid: realJwk.kid, typ: 'at+jwt' }
    await expectRefused(`${encodeJson(header)}.${encodeJson(claims)}.`)
  })

  it('refuses HS256 signed with the public key (SPKI PEM) as the HMAC secret', async () => {
    const publicKey = (await importJWK(realJwk, 'ES256')) as CryptoKey
    const secret = new TextEncoder().encode(await exportSPKI(publicKey))

    await expectRefused(
      await sign(claims, { alg: 'HS256', kid: realJwk.kid, typ: 'at+jwt' }, secret),
    )
  })

  it('refuses HS256 signed with the published JWK as the HMAC secret', async () => {
    const secret = new TextEncoder().encode(JSON.stringify(realJwk))

    await expectRefused(
      await sign(claims, { alg: 'HS256', kid: realJwk.kid, typ: 'at+jwt' }, secret),
    )
  })

  it('refuses a token signed by another key under an unknown kid', async () => {
    const { privateKey } = await generateKeyPair('ES256')

    await expectRefused(
      await sign(claims, { alg: 'ES256', kid: 'attacker-key', typ: 'at+jwt' }, privateKey),
    )
  })

  it('refuses a token signed by another key under the real kid', async () => {
    const { privateKey } = await generateKeyPair('ES256')

    await expectRefused(
      await sign(claims, { alg: 'ES256', kid: realJwk.kid, typ: 'at+jwt' }, privateKey),
    )
  })

  it('refuses an EdDSA token from a key that is not in the JWKS', async () => {
    const { privateKey } = await generateKeyPair('EdDSA')

    await expectRefused(await sign(claims, { alg: 'EdDSA', typ: 'at+jwt' }, privateKey))
  })

  it('refuses a token whose payload was edited (sub: another user)', async () => {
    const [header, , signature] = login.body.accessToken.split('.')

    await expectRefused(`${header}.${encodeJson({ ...claims, sub: BOB.id })}.${signature}`)
  })

  it('refuses a token whose payload was edited (exp pushed a year out)', async () => {
    const [header, , signature] = login.body.accessToken.split('.')
    const exp = (claims.exp ?? 0) + 365 * 24 * 3600

    await expectRefused(`${header}.${encodeJson({ ...claims, exp })}.${signature}`)
  })

  it('refuses a token whose signature was stripped', async () => {
    const [header, payload] = login.body.accessToken.split('.')

    await expectRefused(`${header}.${payload}.`)
  })

  it('refuses a token that expired beyond the clock tolerance', async () => {
    const iat = T0 / 1000 - 600

    await expectRefused(await sign({ ...claims, iat, exp: iat + 300 - 6 }))
  })

  it('refuses a token that is not valid yet (nbf in the future)', async () => {
    await expectRefused(await sign({ ...claims, nbf: T0 / 1000 + 60 }))
  })

  it.each([
    ['the wrong audience', { aud: 'another-api' }],
    ['the wrong issuer', { iss: 'https://evil.example' }],
    ['no sid', { sid: undefined }],
    ['a non-string sid', { sid: 42 }],
    ['no sub', { sub: undefined }],
    ['no jti', { jti: undefined }],
    ['no exp', { exp: undefined }],
  ])('refuses a correctly signed token with %s', async (_, overrides) => {
    await expectRefused(await sign({ ...claims, ...overrides }))
  })

  it.each([
    ['no typ', { alg: 'ES256' }],
    ['typ: JWT', { alg: 'ES256', typ: 'JWT' }],
    ['typ: id_token+jwt', { alg: 'ES256', typ: 'id_token+jwt' }],
  ])('refuses a correctly signed token with %s', async (_, header) => {
    await expectRefused(await sign(claims, { ...header, kid: realJwk.kid }))
  })

  it.each([
    ['a Basic credential', 'Basic YWxpY2U6cHc='],
    ['Bearer without a token', 'Bearer '],
    ['a token with spaces', 'Bearer abc def'],
    ['garbage', 'Bearer not.a.jwt'],
    ['a single segment', 'Bearer abcdef'],
  ])('refuses %s in the Authorization header', async (_, authorization) => {
    const res = await verify(h, authorization)

    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/)
    await expectError(res, 401, 'invalid_token')
  })

  it('accepts the scheme name in any case (RFC 9110 §11.1)', async () => {
    const res = await verify(h, `bearer ${login.body.accessToken}`)

    expect(res.status).toBe(200)
  })
})

describe('requireAuth() on success', () => {
  it('sets c.var.userId, c.var.sessionId and c.var.claims', async () => {
    const h = await createHarness()
    const { body } = await h.login('alice')

    const res = await protectedApi(h).get(`Bearer ${body.accessToken}`)

    expect(await res.json()).toStrictEqual({
      userId: ALICE.id,
      sessionId: body.sessionId,
      claims: decodeJwt(body.accessToken),
    })
  })

  it('accepts a JWKS object', async () => {
    const h = await createHarness()
    const { body } = await h.login('alice')

    const res = await protectedApi(h, { jwks: await h.keys.jwks() }).get(
      `Bearer ${body.accessToken}`,
    )

    expect(res.status).toBe(200)
  })

  it('answers 401 with a bare Bearer challenge when no Authorization header is sent', async () => {
    const h = await createHarness()

    const res = await protectedApi(h).get()

    expect(res.headers.get('www-authenticate')).toBe('Bearer')
    await expectError(res, 401, 'invalid_token')
  })
})

describe('requireAuth() with a remote JWKS URL', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
  })

  it('fetches the BFF’s /.well-known/jwks.json and verifies with it', async () => {
    const h = await createHarness()
    const { body } = await h.login('alice')
    const fetch = vi.fn((input: string | URL | Request) =>
      h.send(new URL(input instanceof Request ? input.url : input).pathname),
    )
    vi.stubGlobal('fetch', fetch)
    const api = protectedApi(h, { jwks: `${ORIGIN}/.well-known/jwks.json` })

    const res = await api.get(`Bearer ${body.accessToken}`)

    expect(res.status).toBe(200)
    expect(fetch).toHaveBeenCalledTimes(1)
  })

  it('answers 503 jwks_unavailable, not 401, when the keys cannot be fetched', async () => {
    const h = await createHarness()
    const { body } = await h.login('alice')
    vi.stubGlobal('fetch', () => Promise.reject(new TypeError('fetch failed')))
    const api = protectedApi(h, { jwks: `${ORIGIN}/.well-known/jwks.json` })

    const res = await api.get(`Bearer ${body.accessToken}`)

    expect(res.headers.get('retry-after')).toBe('1')
    await expectError(res, 503, 'jwks_unavailable')
  })
})

describe('requireAuth() with checkRevoked', () => {
  it('refuses the access token of a session logged out after it was issued', async () => {
    const h = await createHarness()
    const { body, cookie } = await h.login('alice')
    const api = protectedApi(h, { checkRevoked: h.store })
    const before = await api.get(`Bearer ${body.accessToken}`)

    await h.logout(cookie)
    const after = await api.get(`Bearer ${body.accessToken}`)

    expect(before.status).toBe(200)
    await expectError(after, 401, 'invalid_token')
  })

  it('refuses the token of a session signed out before the middleware was made (memory store)', async () => {
    const h = await createHarness()
    const { body, cookie } = await h.login('alice')
    await h.logout(cookie)
    h.clock.advance(SECOND)
    // A route registered lazily, or a second module on the same store: it subscribes now.
    const api = protectedApi(h, { checkRevoked: h.store })
    // Before: the memory store replayed nothing to a late subscriber (SQLite and Redis do).
    await expectError(await api.get(`Bearer ${body.accessToken}`), 401, 'invalid_token')
  })

  it('still accepts tokens of the user’s other sessions', async () => {
    const h = await createHarness()
    const first = await h.login('alice')
    const second = await h.login('alice')
    const api = protectedApi(h, { checkRevoked: h.store })

    await h.logout(first.cookie)

    expect((await api.get(`Bearer ${second.body.accessToken}`)).status).toBe(200)
  })
})

describe('requireAuth() options', () => {
  const jwks = { keys: [] }

  it.each([
    ['no jwks', { issuer: 'baton', audience: 'baton-api' }],
    ['no issuer', { jwks, audience: 'baton-api' }],
    ['an empty audience', { jwks, issuer: 'baton', audience: '' }],
    ['HS256 among the algorithms', { jwks, issuer: 'baton', audience: 'a', algorithms: ['HS256'] }],
    [
      'alg none among the algorithms',
      { jwks, issuer: 'baton', audience: 'a', algorithms: ['none'] },
    ],
    ['a bad clockTolerance', { jwks, issuer: 'baton', audience: 'a', clockTolerance: 'soon' }],
    [
      'jwks that is neither keys, a key set nor a URL',
      { jwks: { ephemeral: false }, issuer: 'baton', audience: 'a' },
    ],
    ['jwks that is not a URL', { jwks: 'not a url', issuer: 'baton', audience: 'a' }],
  ])('throw a TypeError for %s', (_, options) => {
    expect(() => requireAuth(options as unknown as RequireAuthOptions)).toThrow(TypeError)
  })
})
