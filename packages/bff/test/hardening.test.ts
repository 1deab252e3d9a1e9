/**
 * The smaller findings of issue 12: an existence oracle on session ids, JSON without `nosniff`,
 * the request's Origin echoed in an error, and access tokens without `client_id` (RFC 9068 §2.2).
 */
import { base64url, decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import { createBff, type BffOptions } from '../src/index.js'
import { authenticate, client, createHarness, expectError, HOUR, testLogger } from './helpers.js'

describe('issue 12: no oracle for which session ids exist', () => {
  it('answers an unknown session id and a forged tag with the same code and message', async () => {
    const h = await createHarness()
    const login = await h.login('alice')
    const forged = base64url.decode(login.cookie)
    forged[60]! ^= 1
    const unknown = base64url.decode(login.cookie)
    unknown[0]! ^= 1

    const answers = await Promise.all(
      [forged, unknown].map(async (bytes) => (await h.refresh(base64url.encode(bytes))).json()),
    )

    expect(answers[0]).toStrictEqual({
      error: { code: 'no_session', message: 'The refresh cookie is not valid; sign in.' },
    })
    expect(answers[1]).toStrictEqual(answers[0])
  })

  it('still answers session_expired for a known session past its deadline', async () => {
    const h = await createHarness({ idleTimeout: '1h' })
    const login = await h.login('alice')
    h.clock.advance(HOUR)

    await expectError(await h.refresh(login.cookie), 401, 'session_expired')
  })
})

describe('issue 12: a bare createBff()', () => {
  // Nothing but authenticate (and a quiet logger for the generated-keys warning).
  const bare = () => client(createBff({ authenticate, logger: testLogger() }))

  it('sends X-Content-Type-Options: nosniff with every JSON answer', async () => {
    const app = bare()
    const login = await app.login('alice')
    const answers = {
      login: login.res,
      refresh: (await app.refreshOk(login.cookie)).res,
      'refresh 401': await app.refresh('garbage'),
      'logout 400': await app.post('/logout', { body: '[' }),
      'csrf 403': await app.send('/auth/refresh', { method: 'POST' }),
      'login 413': await app.post('/login', { body: 'x'.repeat(9 * 1024) }),
      sessions: await app.listSessions(login.body.accessToken),
      'sessions 401': await app.listSessions('nope'),
      jwks: await app.send('/.well-known/jwks.json'),
      'not found': await app.send('/auth/nope'),
    }

    const sniffing = Object.entries(answers)
      .filter(([, res]) => res.headers.get('x-content-type-options') !== 'nosniff')
      .map(([name]) => name)
    expect(sniffing).toStrictEqual([])
  })

  it('does not echo the request’s Origin in an error', async () => {
    const origin = 'https://evil.example'

    const res = await bare().send('/auth/login', {
      method: 'POST',
      headers: { 'x-csrf': '1', origin },
    })

    const text = await res.clone().text()
    expect(text).not.toContain('evil.example')
    await expectError(res, 403, 'csrf_failed')
  })
})

describe('issue 12: client_id in access tokens (RFC 9068 §2.2)', () => {
  it('is the audience by default', async () => {
    const h = await createHarness({ audience: 'orders' })

    const { body } = await h.login('alice')

    expect(decodeJwt(body.accessToken)).toMatchObject({ aud: 'orders', client_id: 'orders' })
  })

  it('is the clientId option when given', async () => {
    const h = await createHarness({ clientId: 'spa-bff' })

    const { body } = await h.login('alice')

    expect(decodeJwt(body.accessToken)).toMatchObject({ aud: 'baton-api', client_id: 'spa-bff' })
  })

  it.each([[''], [42]])('refuses the clientId %j with a TypeError', (clientId) => {
    const options = { authenticate, logger: testLogger(), clientId }

    expect(() => createBff(options as unknown as BffOptions)).toThrow(
      new TypeError('createBff: clientId must be a non-empty string'),
    )
  })
})
