import type { SessionListBody } from '@baton/protocol'
import { beforeEach, describe, expect, it } from 'vitest'
import {
  ALICE,
  BOB,
  CLEARED_COOKIE,
  CLEARED_HINT,
  createHarness,
  expectError,
  HOUR,
  MINUTE,
  REFRESH_COOKIE,
  T0,
  type Harness,
} from './helpers.js'

describe('POST /auth/logout', () => {
  let h: Harness
  beforeEach(async () => {
    h = await createHarness()
  })

  it('answers 204 with no body and clears the cookie', async () => {
    const { cookie } = await h.login('alice')

    const res = await h.logout(cookie)

    expect(res.status).toBe(204)
    expect(await res.text()).toBe('')
    expect(res.headers.getSetCookie()).toStrictEqual([CLEARED_COOKIE, CLEARED_HINT])
  })

  it('makes the next refresh answer 401 session_revoked with the cookie cleared', async () => {
    const { cookie } = await h.login('alice')
    await h.logout(cookie)

    const res = await h.refresh(cookie)

    expect(res.headers.getSetCookie()).toStrictEqual([CLEARED_COOKIE, CLEARED_HINT])
    await expectError(res, 401, 'session_revoked')
  })

  it('refuses the session’s access token at /auth/sessions', async () => {
    const { body, cookie } = await h.login('alice')
    await h.logout(cookie)

    const res = await h.listSessions(body.accessToken)

    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"')
    await expectError(res, 401, 'invalid_token')
  })

  it('emits one logout event, and none for a second logout with the same cookie', async () => {
    const { body, cookie } = await h.login('alice', { headers: { 'user-agent': 'Vitest/1.0' } })
    h.clock.advance(MINUTE)

    await h.logout(cookie)
    const second = await h.logout(cookie)

    expect(second.status).toBe(204)
    expect(h.events.slice(1)).toStrictEqual([
      {
        type: 'logout',
        everywhere: false,
        sessionId: body.sessionId,
        userId: ALICE.id,
        at: T0 + MINUTE,
        ip: null,
        userAgent: null,
      },
    ])
  })

  it('accepts an explicit { everywhere: false } body', async () => {
    const { cookie } = await h.login('alice')

    const res = await h.logout(cookie, { everywhere: false })

    expect(res.status).toBe(204)
    expect(h.eventsOf('logout')).toStrictEqual([expect.objectContaining({ everywhere: false })])
  })

  it('leaves the user’s other sessions alone', async () => {
    const first = await h.login('alice')
    const second = await h.login('alice')

    await h.logout(first.cookie)

    await h.refreshOk(second.cookie)
  })

  it.each([
    ['no cookie', undefined],
    ['a malformed cookie', 'not-a-token'],
  ])('answers 204 and clears the cookie for %s, without events', async (_, cookie) => {
    const res = await h.logout(cookie)

    expect(res.status).toBe(204)
    expect(res.headers.getSetCookie()).toStrictEqual([CLEARED_COOKIE, CLEARED_HINT])
    expect(h.events).toStrictEqual([])
  })

  it.each([
    ['invalid JSON', '{"everywhere":'],
    ['a JSON array', '[true]'],
    ['JSON null', 'null'],
    ['a non-boolean everywhere', '{"everywhere":"yes"}'],
    ['a numeric everywhere', '{"everywhere":1}'],
    // Not "this device": only a missing key means that, and a client that meant `true` must
    // not be told it signed out everywhere.
    ['a null everywhere', '{"everywhere":null}'],
  ])('answers 400 invalid_request for %s and keeps the session', async (_, body) => {
    const { cookie } = await h.login('alice')

    const res = await h.post('/logout', {
      headers: { cookie: `${REFRESH_COOKIE}=${cookie}`, 'content-type': 'application/json' },
      body,
    })

    await expectError(res, 400, 'invalid_request')
    await h.refreshOk(cookie)
  })

  it('answers 413 payload_too_large for a body over 8 KiB', async () => {
    const { cookie } = await h.login('alice')

    const res = await h.post('/logout', {
      headers: { cookie: `${REFRESH_COOKIE}=${cookie}` },
      body: JSON.stringify({ everywhere: true, pad: 'x'.repeat(8 * 1024) }),
    })

    await expectError(res, 413, 'payload_too_large')
  })
})

describe('POST /auth/logout with { everywhere: true }', () => {
  let h: Harness
  let sessions: Awaited<ReturnType<Harness['login']>>[]
  let bob: Awaited<ReturnType<Harness['login']>>
  beforeEach(async () => {
    h = await createHarness()
    sessions = [await h.login('alice'), await h.login('alice'), await h.login('alice')]
    bob = await h.login('bob')
  })

  it('answers 204, clears the cookie and revokes every session of the user', async () => {
    const res = await h.logout(sessions[0]!.cookie, { everywhere: true })

    expect(res.status).toBe(204)
    expect(res.headers.getSetCookie()).toStrictEqual([CLEARED_COOKIE, CLEARED_HINT])
    for (const { cookie } of sessions) {
      await expectError(await h.refresh(cookie), 401, 'session_revoked')
    }
  })

  it('leaves other users’ sessions alone', async () => {
    await h.logout(sessions[0]!.cookie, { everywhere: true })

    await h.refreshOk(bob.cookie)
  })

  it('emits one logout event and one revoked event per other session', async () => {
    await h.logout(sessions[1]!.cookie, { everywhere: true })

    const common = { userId: ALICE.id, at: T0, ip: null, userAgent: null }
    expect(h.events.slice(4)).toStrictEqual([
      { type: 'logout', everywhere: true, sessionId: sessions[1]!.body.sessionId, ...common },
      {
        type: 'revoked',
        reason: 'logout_everywhere',
        sessionId: sessions[0]!.body.sessionId,
        ...common,
      },
      {
        type: 'revoked',
        reason: 'logout_everywhere',
        sessionId: sessions[2]!.body.sessionId,
        ...common,
      },
    ])
  })
})

describe('GET /auth/sessions', () => {
  let h: Harness
  beforeEach(async () => {
    h = await createHarness()
  })

  it('lists the user’s live sessions, oldest first, marking the current one', async () => {
    const laptop = await h.login('alice', {
      headers: { 'user-agent': 'Firefox' },
      ip: '198.51.100.1',
    })
    h.clock.advance(MINUTE)
    const phone = await h.login('alice', { headers: { 'user-agent': 'Safari' }, ip: '2001:db8::1' })
    await h.login('bob')

    const res = await h.listSessions(phone.body.accessToken)

    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(await res.json()).toStrictEqual({
      sessions: [
        {
          id: laptop.body.sessionId,
          createdAt: T0,
          lastUsedAt: T0,
          expiresAt: T0 + 30 * 24 * 60 * MINUTE,
          userAgent: 'Firefox',
          ip: '198.51.100.1',
          current: false,
          bound: false,
          authTime: T0,
        },
        {
          id: phone.body.sessionId,
          createdAt: T0 + MINUTE,
          lastUsedAt: T0 + MINUTE,
          expiresAt: T0 + MINUTE + 30 * 24 * 60 * MINUTE,
          userAgent: 'Safari',
          ip: '2001:db8::1',
          current: true,
          bound: false,
          authTime: T0 + MINUTE,
        },
      ],
    } satisfies SessionListBody)
  })

  it('reports lastUsedAt and the client of the latest refresh', async () => {
    const { cookie } = await h.login('alice', { headers: { 'user-agent': 'Firefox' } })
    h.clock.advance(MINUTE)
    const refreshed = await h.refreshOk(cookie, {
      headers: { 'user-agent': 'Firefox/2' },
      ip: '192.0.2.9',
    })

    const { sessions } = (await (
      await h.listSessions(refreshed.body.accessToken)
    ).json()) as SessionListBody

    expect(sessions).toStrictEqual([
      expect.objectContaining({
        createdAt: T0,
        lastUsedAt: T0 + MINUTE,
        userAgent: 'Firefox/2',
        ip: '192.0.2.9',
      }),
    ])
  })

  it('leaves out a session in the second of its absolute deadline, which refresh calls over', async () => {
    const short = await createHarness({ absoluteTimeout: '1h', idleTimeout: '2h' })
    short.clock.advance(500) // a sign-in in the middle of a second
    const first = await short.login('alice')
    short.clock.advance(HOUR - 5 * MINUTE - 500)
    const second = await short.login('alice')
    // The whole second in which the first session's deadline falls.
    short.clock.advance(5 * MINUTE)
    const { sessions } = (await (
      await short.listSessions(second.body.accessToken)
    ).json()) as SessionListBody
    // Before: listed (and counted by the session limit) for up to 999 ms more.
    expect(sessions.map((s) => s.id)).toStrictEqual([second.body.sessionId])
    await expectError(await short.refresh(first.cookie), 401, 'session_expired')
  })

  it('does not need the CSRF headers: it is bearer-authenticated', async () => {
    const { body } = await h.login('alice')

    const res = await h.send('/auth/sessions', {
      headers: { authorization: `Bearer ${body.accessToken}`, origin: 'https://elsewhere.example' },
    })

    expect(res.status).toBe(200)
  })

  it('answers 401 invalid_token with a bare Bearer challenge when no token is sent', async () => {
    const res = await h.send('/auth/sessions')

    expect(res.headers.get('www-authenticate')).toBe('Bearer')
    await expectError(res, 401, 'invalid_token')
  })
})

describe('DELETE /auth/sessions/:id', () => {
  let h: Harness
  let current: Awaited<ReturnType<Harness['login']>>
  let other: Awaited<ReturnType<Harness['login']>>
  beforeEach(async () => {
    h = await createHarness()
    current = await h.login('alice')
    other = await h.login('alice')
  })

  it('answers 204 and ends the other session', async () => {
    const res = await h.deleteSession(current.body.accessToken, other.body.sessionId)

    expect(res.status).toBe(204)
    expect(await res.text()).toBe('')
    await expectError(await h.refresh(other.cookie), 401, 'session_revoked')
    await expectError(await h.listSessions(other.body.accessToken), 401, 'invalid_token')
    const { sessions } = (await (
      await h.listSessions(current.body.accessToken)
    ).json()) as SessionListBody
    expect(sessions.map((s) => s.id)).toStrictEqual([current.body.sessionId])
  })

  it('emits one revoked event with reason revoked', async () => {
    await h.deleteSession(current.body.accessToken, other.body.sessionId)

    expect(h.events.slice(2)).toStrictEqual([
      {
        type: 'revoked',
        reason: 'revoked',
        sessionId: other.body.sessionId,
        userId: ALICE.id,
        at: T0,
        ip: null,
        userAgent: null,
      },
    ])
  })

  it('can end the current session, whose access token then stops working', async () => {
    const res = await h.deleteSession(current.body.accessToken, current.body.sessionId)

    expect(res.status).toBe(204)
    await expectError(await h.listSessions(current.body.accessToken), 401, 'invalid_token')
  })

  it('answers 404 not_found for another user’s session, which stays live', async () => {
    const bob = await h.login('bob')

    const res = await h.deleteSession(current.body.accessToken, bob.body.sessionId)

    await expectError(res, 404, 'not_found')
    await h.refreshOk(bob.cookie)
    expect(h.eventsOf('revoked')).toStrictEqual([])
  })

  it.each([
    ['an unknown id', 'AAAAAAAAAAAAAAAAAAAAAA'],
    ['a malformed id', 'not-a-session-id'],
    ['an over-long id', 'A'.repeat(200)],
  ])('answers 404 not_found for %s', async (_, id) => {
    const res = await h.deleteSession(current.body.accessToken, id)

    await expectError(res, 404, 'not_found')
  })

  it('answers 404 not_found for a session that was already revoked', async () => {
    await h.deleteSession(current.body.accessToken, other.body.sessionId)

    const res = await h.deleteSession(current.body.accessToken, other.body.sessionId)

    await expectError(res, 404, 'not_found')
    expect(h.eventsOf('revoked')).toHaveLength(1)
  })

  it('answers 401 invalid_token without a bearer token', async () => {
    const res = await h.send(`/auth/sessions/${other.body.sessionId}`, { method: 'DELETE' })

    await expectError(res, 401, 'invalid_token')
    await h.refreshOk(other.cookie)
  })
})

describe('routes that do not exist', () => {
  it.each([
    ['GET', '/auth/login'],
    ['POST', '/auth/nope'],
    ['GET', '/auth/refresh'],
    ['GET', '/'],
  ])('%s %s answers 404 not_found in the JSON error shape', async (method, path) => {
    const h = await createHarness()

    const res = await h.send(path, { method })

    await expectError(res, 404, 'not_found')
  })
})

describe('the user object', () => {
  it('is returned as authenticate produced it, on login and refresh', async () => {
    const h = await createHarness()
    const login = await h.login('bob')

    const refreshed = await h.refreshOk(login.cookie)

    expect(login.body.user).toStrictEqual(BOB)
    expect(refreshed.body.user).toStrictEqual(BOB)
  })
})
