/**
 * Issue 19, paper cut: `requireAuth` made the application repeat the BFF's issuer and audience.
 * `bff.requireAuth()` takes them, the keys, the token lifetime, the store and the clock from the
 * BFF it belongs to.
 */
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import type { BffRequireAuthOptions, RequireAuthVariables } from '../src/index.js'
import { client, createHarness, expectError, HOUR, MINUTE, type Harness } from './helpers.js'

/** A host app with the harness's BFF at `/` and `GET /api/me` behind `bff.requireAuth(options)`. */
function hostApp(h: Harness, options?: BffRequireAuthOptions) {
  const app = new Hono<{ Variables: RequireAuthVariables }>()
  app.route('/', h.bff)
  app.use('/api/*', h.bff.requireAuth(options))
  app.get('/api/me', (c) => c.json({ userId: c.var.userId, sessionId: c.var.sessionId }))
  const me = (accessToken: string) =>
    client(app).send('/api/me', { headers: { authorization: `Bearer ${accessToken}` } })
  return { app, me }
}

describe('bff.requireAuth()', () => {
  it('accepts the BFF’s tokens with its own issuer and audience, nothing repeated', async () => {
    const h = await createHarness({ issuer: 'shop', audience: 'shop-api' })
    const { me } = hostApp(h)
    const { body } = await h.login('alice')

    const res = await me(body.accessToken)

    expect(res.status).toBe(200)
    expect(await res.json()).toStrictEqual({ userId: 'user-alice', sessionId: body.sessionId })
  })

  it('refuses a token of another BFF (other keys, issuer and audience)', async () => {
    const h = await createHarness({ issuer: 'shop', audience: 'shop-api' })
    const other = await createHarness()
    const { me } = hostApp(h)
    const { body } = await other.login('alice')

    await expectError(await me(body.accessToken), 401, 'invalid_token')
  })

  it('checks revocations in the BFF’s store by default: a token dies with its session', async () => {
    const h = await createHarness()
    const { me } = hostApp(h)
    const { body, cookie } = await h.login('alice')

    await h.logout(cookie)
    const res = await me(body.accessToken)

    expect(await res.json()).toStrictEqual({
      error: { code: 'invalid_token', message: 'The session of this token was revoked.' },
    })
  })

  it('checks signatures and claims only with checkRevoked: false', async () => {
    const h = await createHarness()
    const { me } = hostApp(h, { checkRevoked: false })
    const { body, cookie } = await h.login('alice')

    await h.logout(cookie)

    expect((await me(body.accessToken)).status).toBe(200)
  })

  it('runs on the BFF’s clock', async () => {
    const h = await createHarness({ accessTokenTtl: '2m' })
    const { me } = hostApp(h)
    const { body } = await h.login('alice')

    h.clock.advance(MINUTE)
    const fresh = await me(body.accessToken)
    h.clock.advance(2 * MINUTE)
    const expired = await me(body.accessToken)

    expect(fresh.status).toBe(200)
    await expectError(expired, 401, 'invalid_token')
  })

  it('takes accessTokenTtl as maxTokenAge, and fits tokens longer than requireAuth’s default retention', async () => {
    const h = await createHarness({ accessTokenTtl: '2h' })
    const { me } = hostApp(h)
    const { body } = await h.login('alice')

    h.clock.advance(HOUR + 30 * MINUTE)

    expect((await me(body.accessToken)).status).toBe(200)
  })

  it('passes its options on to requireAuth, with requireAuth’s messages', async () => {
    const h = await createHarness()

    expect(() => h.bff.requireAuth({ maxTokenAge: '5m', revokedRetention: '1m' })).toThrow(
      new TypeError(
        'requireAuth: revokedRetention (60000 ms) must be at least maxTokenAge (300000 ms) plus ' +
          'clockTolerance (5000 ms), or tokens of a revoked session pass again once it is forgotten',
      ),
    )
    expect(() => h.bff.requireAuth(null as unknown as BffRequireAuthOptions)).toThrow(
      new TypeError('bff.requireAuth: options must be an object'),
    )
  })
})
