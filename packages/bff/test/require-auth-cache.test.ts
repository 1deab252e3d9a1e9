/**
 * Issue 15: `requireAuth()` remembers verified tokens so a token sent again skips its signature
 * check. The cache must save that check and nothing else: a revoked session's cached token is
 * refused at once, an expired one on time, a token with one byte changed is never a hit, a bound
 * token still needs its proof, and the cache is bounded (least recently used out).
 */
import { Hono } from 'hono'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import * as access from '../src/tokens/access.js'
import { VerifiedTokens } from '../src/middleware/verified-tokens.js'
import { requireAuth, type RequireAuthOptions, type RequireAuthVariables } from '../src/index.js'
import { createHarness, expectError, MINUTE, ORIGIN, SECOND, type Harness } from './helpers.js'
import { deviceKey, proof } from './dpop-helpers.js'

// Counts full verifications (jose's signature check) behind the middleware.
vi.mock('../src/tokens/access.js', async (importOriginal) => {
  const actual = await importOriginal<typeof access>()
  return { ...actual, verifyAccessToken: vi.fn(actual.verifyAccessToken) }
})
const verifications = () => vi.mocked(access.verifyAccessToken).mock.calls.length

const ME = '/api/me'

/** A service protected by `requireAuth()` with the BFF's keys and store. */
function apiOf(h: Harness, options: Partial<RequireAuthOptions> = {}) {
  const api = new Hono<{ Variables: RequireAuthVariables }>()
  api.use(
    '/api/*',
    requireAuth({
      jwks: h.keys,
      issuer: 'baton',
      audience: 'baton-api',
      checkRevoked: h.store,
      now: h.clock.now,
      ...options,
    }),
  )
  api.get(ME, (c) => c.json({ id: c.var.userId, sid: c.var.sessionId }))
  return (authorization: string, headers: Record<string, string> = {}) =>
    api.request(new Request(new URL(ME, ORIGIN), { headers: { authorization, ...headers } }))
}

/** `token` with the character at `index` replaced by another of the base64url alphabet. */
const flip = (token: string, index: number) =>
  `${token.slice(0, index)}${token[index] === 'A' ? 'B' : 'A'}${token.slice(index + 1)}`

describe('requireAuth’s cache of verified tokens', () => {
  let h: Harness
  let token: string
  let cookie: string

  beforeEach(async () => {
    vi.mocked(access.verifyAccessToken).mockClear()
    h = await createHarness()
    ;({
      body: { accessToken: token },
      cookie,
    } = await h.login('alice'))
    vi.mocked(access.verifyAccessToken).mockClear()
  })

  it('verifies a token once and answers it from the cache after', async () => {
    const call = apiOf(h)
    for (let i = 0; i < 3; i++) expect((await call(`Bearer ${token}`)).status).toBe(200)
    expect(verifications()).toBe(1)
  })

  it('verifies every request with verifiedTokenCache: 0', async () => {
    const call = apiOf(h, { verifiedTokenCache: 0 })
    for (let i = 0; i < 3; i++) expect((await call(`Bearer ${token}`)).status).toBe(200)
    expect(verifications()).toBe(3)
  })

  it('refuses a cached token at once when its session is revoked', async () => {
    const call = apiOf(h)
    expect((await call(`Bearer ${token}`)).status).toBe(200)

    await h.logout(cookie)
    const res = await call(`Bearer ${token}`)

    expect(await res.json()).toStrictEqual({
      error: { code: 'invalid_token', message: 'The session of this token was revoked.' },
    })
    expect(res.status).toBe(401)
    expect(verifications()).toBe(1)
  })

  it('refuses a cached token at once after bff.admin.revokeAll()', async () => {
    const call = apiOf(h)
    expect((await call(`Bearer ${token}`)).status).toBe(200)
    h.clock.advance(SECOND)

    await h.bff.admin.revokeAll()

    await expectError(await call(`Bearer ${token}`), 401, 'invalid_token')
    expect(verifications()).toBe(1)
  })

  it('refuses a cached token once expired, at the same instant as full verification', async () => {
    const cached = apiOf(h)
    const uncached = apiOf(h, { verifiedTokenCache: 0 })
    expect((await cached(`Bearer ${token}`)).status).toBe(200)
    // The default 5 min token and 5 s tolerance: the answer changes at 5 min 5 s.
    const statuses: Array<[number, number]> = []
    for (const at of [4 * MINUTE + 59 * SECOND, 5 * MINUTE + 4 * SECOND, 5 * MINUTE + 5 * SECOND]) {
      h.clock.advance(at - (statuses.length === 0 ? 0 : statuses.at(-1)![0]))
      statuses.push([at, (await cached(`Bearer ${token}`)).status])
      expect((await uncached(`Bearer ${token}`)).status).toBe(statuses.at(-1)![1])
    }
    expect(statuses.map(([, status]) => status)).toStrictEqual([200, 200, 401])
    await expectError(await cached(`Bearer ${token}`), 401, 'invalid_token')
  })

  it('refuses a cached token older than maxTokenAge, whatever its exp', async () => {
    const cached = apiOf(h, { maxTokenAge: '1m' })
    expect((await cached(`Bearer ${token}`)).status).toBe(200)

    h.clock.advance(MINUTE + 5 * SECOND)
    expect((await cached(`Bearer ${token}`)).status).toBe(200)
    h.clock.advance(SECOND)

    await expectError(await cached(`Bearer ${token}`), 401, 'invalid_token')
  })

  it('never takes a token with one byte changed for the cached one', async () => {
    const call = apiOf(h)
    expect((await call(`Bearer ${token}`)).status).toBe(200)
    const [header = '', payload = ''] = token.split('.')
    // In the header, in the payload, and the last character of the signature.
    for (const index of [5, header.length + 1 + Math.floor(payload.length / 2), token.length - 2]) {
      await expectError(await call(`Bearer ${flip(token, index)}`), 401, 'invalid_token')
    }
    // Each one was verified in full (and refused); the real token is still a hit.
    expect(verifications()).toBe(4)
    expect((await call(`Bearer ${token}`)).status).toBe(200)
    expect(verifications()).toBe(4)
  })

  it('still checks the proof of a cached DPoP-bound token on every request', async () => {
    const key = await deviceKey()
    const {
      body: { accessToken: bound },
    } = await h.login('bob', {
      headers: { dpop: await proof(key, { htu: '/auth/login', at: h.clock.now() }) },
    })
    const call = apiOf(h)
    const apiProof = () =>
      proof(key, { htm: 'GET', htu: ME, at: h.clock.now(), accessToken: bound })
    expect((await call(`DPoP ${bound}`, { dpop: await apiProof() })).status).toBe(200)

    await expectError(await call(`DPoP ${bound}`), 401, 'invalid_dpop_proof')
    await expectError(await call(`Bearer ${bound}`), 401, 'invalid_token')
    const thief = await deviceKey()
    const stolen = await proof(thief, {
      htm: 'GET',
      htu: ME,
      at: h.clock.now(),
      accessToken: bound,
    })
    await expectError(await call(`DPoP ${bound}`, { dpop: stolen }), 401, 'invalid_dpop_proof')
    expect((await call(`DPoP ${bound}`, { dpop: await apiProof() })).status).toBe(200)
  })

  it('hands out frozen claims, so one handler cannot change what the next request sees', async () => {
    const api = new Hono<{ Variables: RequireAuthVariables }>()
    api.use('/api/*', h.bff.requireAuth())
    api.get(ME, (c) => {
      const claims = c.var.claims as { sub: string }
      try {
        claims.sub = 'user-mallory'
      } catch {
        // Frozen: the assignment throws in strict mode.
      }
      return c.json({ id: c.var.claims.sub })
    })
    const get = () =>
      api.request(
        new Request(new URL(ME, ORIGIN), { headers: { authorization: `Bearer ${token}` } }),
      )
    expect(await (await get()).json()).toStrictEqual({ id: 'user-alice' })
    expect(await (await get()).json()).toStrictEqual({ id: 'user-alice' })
  })

  it('refuses a verifiedTokenCache that is not a whole number of at least 0', () => {
    for (const bad of [-1, 1.5, Number.NaN]) {
      expect(() => apiOf(h, { verifiedTokenCache: bad })).toThrow(
        `requireAuth: verifiedTokenCache must be a whole number of at least 0, got ${String(bad)}`,
      )
    }
  })
})

describe('VerifiedTokens', () => {
  const clock = { clockToleranceSec: 5, maxTokenAgeSec: 300 }
  const claims = (sid: string) =>
    ({
      iss: 'baton',
      aud: 'baton-api',
      sub: 'user',
      sid,
      iat: 1_000,
      exp: 1_300,
      jti: sid,
    }) as access.AccessTokenClaims
  const now = 1_000_000

  it('holds at most max entries, the least recently used going first', () => {
    const cache = new VerifiedTokens(2, clock)
    cache.set('a', claims('a'))
    cache.set('b', claims('b'))
    expect(cache.get('a', now)?.sid).toBe('a')

    cache.set('c', claims('c'))

    expect(cache.size).toBe(2)
    expect(cache.get('b', now)).toBeUndefined()
    expect(cache.get('a', now)?.sid).toBe('a')
    expect(cache.get('c', now)?.sid).toBe('c')
  })

  it('drops an entry whose token has expired', () => {
    const cache = new VerifiedTokens(2, clock)
    cache.set('a', claims('a'))
    expect(cache.get('a', 1_304_999)?.sid).toBe('a')
    expect(cache.get('a', 1_305_000)).toBeUndefined()
    expect(cache.size).toBe(0)
  })

  it('remembers nothing with max 0', () => {
    const cache = new VerifiedTokens(0, clock)
    cache.set('a', claims('a'))
    expect(cache.size).toBe(0)
    expect(cache.get('a', now)).toBeUndefined()
  })
})
