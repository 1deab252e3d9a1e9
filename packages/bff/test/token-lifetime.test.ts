/**
 * L1 of issue 12: an access token's `exp` could run 240 s past its session's absolute end, a
 * `revokedRetention` shorter than the token lifetime let revoked tokens pass again, and nothing
 * bounded how long a verifier accepts a token. Now `exp` stops at the session's end, `requireAuth`
 * refuses tokens older than `maxTokenAge`, and it refuses to start with a retention that does not
 * cover them.
 */
import { Hono } from 'hono'
import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import { requireAuth, type RequireAuthOptions, type RequireAuthVariables } from '../src/index.js'
import {
  ACTIVITY,
  createHarness,
  expectError,
  HOUR,
  MINUTE,
  SECOND,
  T0,
  type Harness,
} from './helpers.js'

/** A service behind `requireAuth()` on the harness's keys and clock. */
function api(h: Harness, options: Partial<RequireAuthOptions> = {}) {
  const app = new Hono<{ Variables: RequireAuthVariables }>()
    .use(
      requireAuth({
        jwks: h.keys,
        issuer: 'baton',
        audience: 'baton-api',
        now: h.clock.now,
        ...options,
      }),
    )
    .get('/me', (c) => c.json({ id: c.var.userId }))
  return (token: string) => app.request('/me', { headers: { authorization: `Bearer ${token}` } })
}

describe('L1: the access token of a session near its absolute end', () => {
  it('expires with the session, not accessTokenTtl later', async () => {
    const h = await createHarness({ absoluteTimeout: '3h', idleTimeout: '3h' })
    const login = await h.login('alice')
    h.clock.advance(3 * HOUR - MINUTE)

    const { body } = await h.refreshOk(login.cookie, { headers: ACTIVITY })

    expect(decodeJwt(body.accessToken).exp).toBe((T0 + 3 * HOUR) / 1000)
    expect(body.expiresAt).toBe(T0 + 3 * HOUR)
    expect(body.expiresIn).toBe(60)
  })

  it('is refused by requireAuth() once the session has ended, clock tolerance aside', async () => {
    const h = await createHarness({ absoluteTimeout: '3h', idleTimeout: '3h' })
    const login = await h.login('alice')
    h.clock.advance(3 * HOUR - MINUTE)
    const { body } = await h.refreshOk(login.cookie, { headers: ACTIVITY })
    const me = api(h)

    h.clock.advance(MINUTE + 5 * SECOND + 1)

    await expectError(await me(body.accessToken), 401, 'invalid_token')
  })

  it('is cut on login too, when the session is shorter than a token', async () => {
    const h = await createHarness({ absoluteTimeout: '2m', idleTimeout: '2m' })

    const { body } = await h.login('alice')

    expect(decodeJwt(body.accessToken).exp).toBe(T0 / 1000 + 120)
    expect(body.expiresIn).toBe(120)
  })
})

describe('L1: requireAuth({ maxTokenAge })', () => {
  it('refuses a token whose iat is older, whatever its exp says', async () => {
    const h = await createHarness({ accessTokenTtl: '1h' })
    const { body } = await h.login('alice')
    const me = api(h, { maxTokenAge: '5m' })

    h.clock.advance(5 * MINUTE + 5 * SECOND)
    const justYoungEnough = await me(body.accessToken)
    h.clock.advance(SECOND)
    const tooOld = await me(body.accessToken)

    expect(justYoungEnough.status).toBe(200)
    await expectError(tooOld, 401, 'invalid_token')
  })

  it('defaults to 5m, the BFF’s default accessTokenTtl', async () => {
    const h = await createHarness({ accessTokenTtl: '1h' })
    const { body } = await h.login('alice')
    const me = api(h)

    h.clock.advance(5 * MINUTE + 6 * SECOND)

    await expectError(await me(body.accessToken), 401, 'invalid_token')
  })

  it('is the configured accessTokenTtl on the BFF’s own session routes', async () => {
    const h = await createHarness({ accessTokenTtl: '15m' })
    const { body } = await h.login('alice')

    h.clock.advance(14 * MINUTE)

    expect((await h.listSessions(body.accessToken)).status).toBe(200)
  })

  it.each<[string, Partial<RequireAuthOptions>, string]>([
    [
      'a revokedRetention shorter than maxTokenAge',
      { revokedRetention: '1m' },
      'requireAuth: revokedRetention (60000 ms) must be at least maxTokenAge (300000 ms) plus ' +
        'clockTolerance (5000 ms), or tokens of a revoked session pass again once it is forgotten',
    ],
    [
      'a revokedRetention that leaves out the clock tolerance',
      { revokedRetention: '15m', maxTokenAge: '15m' },
      'requireAuth: revokedRetention (900000 ms) must be at least maxTokenAge (900000 ms) plus ' +
        'clockTolerance (5000 ms), or tokens of a revoked session pass again once it is forgotten',
    ],
    [
      'a maxTokenAge under 1s',
      { maxTokenAge: 500 },
      'requireAuth: maxTokenAge must be at least 1s',
    ],
    [
      'an unparseable maxTokenAge',
      { maxTokenAge: 'long' as '5m' },
      'requireAuth: maxTokenAge must be a duration such as "10s", "5m" or "24h", got "long"',
    ],
  ])('throws a TypeError at start-up for %s with checkRevoked', async (_, options, message) => {
    const h = await createHarness()

    expect(() => api(h, { checkRevoked: h.store, ...options })).toThrow(new TypeError(message))
  })

  it('keeps refusing a revoked session’s token for as long as it could otherwise pass', async () => {
    const h = await createHarness()
    const { body, cookie } = await h.login('alice')
    // The smallest retention it accepts: maxTokenAge (5 min) plus the clock tolerance.
    const me = api(h, { checkRevoked: h.store, revokedRetention: 5 * MINUTE + 5 * SECOND })
    await h.logout(cookie)

    const statuses = []
    for (let elapsed = 0; elapsed <= 5 * MINUTE + 10 * SECOND; elapsed += 5 * SECOND) {
      statuses.push((await me(body.accessToken)).status)
      h.clock.advance(5 * SECOND)
    }

    expect(new Set(statuses)).toStrictEqual(new Set([401]))
  })
})
