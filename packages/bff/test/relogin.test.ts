/**
 * L2 of issue 12 (ASVS 7.2.4): a login in a browser that already held a session left that session
 * alive, a refresh token nobody would present again but anyone holding a copy could. Now a login
 * that presents an authentic, live refresh cookie ends that session first, whoever signs in.
 */
import { base64url } from 'jose'
import { beforeEach, describe, expect, it } from 'vitest'
import {
  ALICE,
  createHarness,
  expectError,
  REFRESH_COOKIE,
  SECOND,
  T0,
  type Harness,
} from './helpers.js'

describe('L2: a login presenting a live refresh cookie', () => {
  let h: Harness
  let previous: Awaited<ReturnType<Harness['login']>>
  beforeEach(async () => {
    h = await createHarness()
    previous = await h.login('alice')
    h.events.length = 0
  })

  const loginWith = (cookie: string, username = 'alice') =>
    h.login(username, {
      headers: { cookie: `${REFRESH_COOKIE}=${cookie}`, 'user-agent': 'Vitest/1.0' },
    })

  it('ends that session first: its cookie then answers 401 session_revoked', async () => {
    const next = await loginWith(previous.cookie)

    expect(next.body.sessionId).not.toBe(previous.body.sessionId)
    await expectError(await h.refresh(previous.cookie), 401, 'session_revoked')
    await expectError(await h.listSessions(previous.body.accessToken), 401, 'invalid_token')
    // The same browser as the sign-in: a refresh from another one would be an anomaly.
    await h.refreshOk(next.cookie, { headers: { 'user-agent': 'Vitest/1.0' } })
  })

  it('emits revoked with reason replaced, then the login', async () => {
    const next = await loginWith(previous.cookie)

    const about = { userId: ALICE.id, at: T0, ip: null, userAgent: 'Vitest/1.0' }
    expect(h.events).toStrictEqual([
      { type: 'revoked', reason: 'replaced', sessionId: previous.body.sessionId, ...about },
      { type: 'login', sessionId: next.body.sessionId, ...about },
    ])
  })

  it('ends it whoever signs in', async () => {
    const bob = await loginWith(previous.cookie, 'bob')

    expect(bob.body.user.id).toBe('user-bob')
    await expectError(await h.refresh(previous.cookie), 401, 'session_revoked')
  })

  it('ends it when the cookie is the previous one inside the grace window', async () => {
    const rotated = await h.refreshOk(previous.cookie)
    h.clock.advance(5 * SECOND)

    await loginWith(previous.cookie)

    await expectError(await h.refresh(rotated.cookie), 401, 'session_revoked')
  })

  it('ends nothing when the credentials are refused', async () => {
    const res = await h.post('/login', {
      headers: {
        cookie: `${REFRESH_COOKIE}=${previous.cookie}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ username: 'alice', password: 'nope' }),
    })

    await expectError(res, 401, 'invalid_credentials')
    await h.refreshOk(previous.cookie)
  })
})

describe('L2: a login presenting a cookie that is no live session', () => {
  let h: Harness
  beforeEach(async () => {
    h = await createHarness()
  })

  it('treats a rotated-out cookie as reuse: its family ends, the login goes on', async () => {
    const old = await h.login('alice')
    const current = await h.refreshOk(old.cookie)
    h.clock.advance(10 * SECOND + 1)
    h.events.length = 0

    const next = await h.login('alice', { headers: { cookie: `${REFRESH_COOKIE}=${old.cookie}` } })

    expect(h.events.map((e) => e.type)).toStrictEqual(['reuse_detected', 'revoked', 'login'])
    await expectError(await h.refresh(current.cookie), 401, 'refresh_token_reused')
    await h.refreshOk(next.cookie)
  })

  it.each([
    [
      'a forged tag',
      (cookie: string) => {
        const bytes = base64url.decode(cookie)
        bytes[60]! ^= 1
        return base64url.encode(bytes)
      },
    ],
    ['an unknown session id', () => base64url.encode(new Uint8Array(64).fill(7))],
    ['garbage', () => 'garbage'],
  ])('ignores %s and ends nothing', async (_, cookieOf) => {
    const other = await h.login('alice')
    h.events.length = 0

    await h.login('alice', { headers: { cookie: `${REFRESH_COOKIE}=${cookieOf(other.cookie)}` } })

    expect(h.events.map((e) => e.type)).toStrictEqual(['login'])
    await h.refreshOk(other.cookie)
  })

  it('ignores the cookie of a session that is already over', async () => {
    const old = await h.login('alice')
    await h.logout(old.cookie)
    h.events.length = 0

    await h.login('alice', { headers: { cookie: `${REFRESH_COOKIE}=${old.cookie}` } })

    expect(h.events.map((e) => e.type)).toStrictEqual(['login'])
  })
})
