/**
 * M1 of issue 12: with the store unreachable, `POST /auth/logout` answered 503 without clearing the
 * cookie, so the browser kept it and a reload after the store came back signed the user in again.
 * Now every answer after the CSRF check clears both cookies, and what could not be ended is
 * reported as `logout_failed`, naming the session so it can be revoked later.
 */
import { beforeEach, describe, expect, it } from 'vitest'
import {
  ALICE,
  CLEARED_COOKIE,
  CLEARED_HINT,
  createHarness,
  expectError,
  REFRESH_COOKIE,
  T0,
  type Harness,
} from './helpers.js'

const outage = () => Promise.reject(new Error('ECONNREFUSED 127.0.0.1:6379'))

describe('M1: POST /auth/logout while the store is down', () => {
  let h: Harness
  let login: Awaited<ReturnType<Harness['login']>>
  beforeEach(async () => {
    h = await createHarness()
    login = await h.login('alice', { headers: { 'user-agent': 'Vitest/1.0' } })
    h.events.length = 0
  })

  it('answers 503 store_unavailable and clears the refresh cookie and the hint all the same', async () => {
    h.store.get = outage

    const res = await h.logout(login.cookie)

    expect(res.headers.getSetCookie()).toStrictEqual([CLEARED_COOKIE, CLEARED_HINT])
    expect(res.headers.get('retry-after')).toBe('1')
    await expectError(res, 503, 'store_unavailable')
  })

  it('emits logout_failed naming the session as its cookie claims it, the store could not say whose', async () => {
    h.store.get = outage

    await h.logout(login.cookie, { everywhere: true })

    expect(h.events).toStrictEqual([
      {
        type: 'logout_failed',
        sessionId: login.body.sessionId,
        userId: null,
        everywhere: true,
        reason: 'store_unavailable',
        at: T0,
        ip: null,
        userAgent: null,
      },
    ])
  })

  it('names the user too when the cookie was proven ours before the store failed', async () => {
    h.store.revoke = outage

    const res = await h.logout(login.cookie)

    await expectError(res, 503, 'store_unavailable')
    expect(res.headers.getSetCookie()).toStrictEqual([CLEARED_COOKIE, CLEARED_HINT])
    expect(h.eventsOf('logout_failed')).toStrictEqual([
      expect.objectContaining({
        sessionId: login.body.sessionId,
        userId: ALICE.id,
        everywhere: false,
        reason: 'store_unavailable',
      }),
    ])
  })

  it('reports a failed "everywhere" with everywhere: true', async () => {
    h.store.revokeByUser = outage

    const res = await h.logout(login.cookie, { everywhere: true })

    await expectError(res, 503, 'store_unavailable')
    expect(h.eventsOf('logout_failed')).toStrictEqual([
      expect.objectContaining({ userId: ALICE.id, everywhere: true }),
    ])
  })

  it('leaves a session that admin.revokeSession() can end once the store is back', async () => {
    const get = h.store.get.bind(h.store)
    h.store.get = outage
    await h.logout(login.cookie)
    h.store.get = get

    const [failed] = h.eventsOf('logout_failed')
    expect(await h.bff.admin.revokeSession(failed!.sessionId)).toBe(true)

    await expectError(await h.refresh(login.cookie), 401, 'session_revoked')
  })
})

describe('M1: POST /auth/logout refused after the CSRF check', () => {
  let h: Harness
  let login: Awaited<ReturnType<Harness['login']>>
  beforeEach(async () => {
    h = await createHarness()
    login = await h.login('alice')
    h.events.length = 0
  })

  /** `cookie: null` sends none. */
  const postLogout = (body: string, cookie: string | null = login.cookie) =>
    h.post('/logout', {
      headers: {
        'content-type': 'application/json',
        ...(cookie === null ? {} : { cookie: `${REFRESH_COOKIE}=${cookie}` }),
      },
      body,
    })

  it.each([
    ['a string everywhere', '{"everywhere":"yes"}'],
    ['a null everywhere', '{"everywhere":null}'],
  ])(
    'clears the cookies on 400 invalid_request for %s and reports the session it did not end',
    async (_, body) => {
      const res = await postLogout(body)

      await expectError(res, 400, 'invalid_request')
      expect(res.headers.getSetCookie()).toStrictEqual([CLEARED_COOKIE, CLEARED_HINT])
      expect(h.events).toStrictEqual([
        {
          type: 'logout_failed',
          sessionId: login.body.sessionId,
          userId: ALICE.id,
          everywhere: null,
          reason: 'invalid_request',
          at: T0,
          ip: null,
          userAgent: null,
        },
      ])
    },
  )

  it('clears the cookies on 413 payload_too_large', async () => {
    const res = await postLogout(JSON.stringify({ pad: 'x'.repeat(9 * 1024) }))

    await expectError(res, 413, 'payload_too_large')
    expect(res.headers.getSetCookie()).toStrictEqual([CLEARED_COOKIE, CLEARED_HINT])
    expect(h.eventsOf('logout_failed')).toStrictEqual([
      expect.objectContaining({ reason: 'payload_too_large', userId: ALICE.id }),
    ])
  })

  it('names the session without its user when the store is down as well', async () => {
    h.store.get = outage

    const res = await postLogout('[true]')

    await expectError(res, 400, 'invalid_request')
    expect(h.eventsOf('logout_failed')).toStrictEqual([
      expect.objectContaining({ sessionId: login.body.sessionId, userId: null }),
    ])
  })

  it.each([
    ['no cookie', null],
    ['a malformed cookie', 'not-a-token'],
  ])(
    'clears the cookies for %s and reports nothing: there is no session to name',
    async (_, cookie) => {
      const res = await postLogout('null', cookie)

      await expectError(res, 400, 'invalid_request')
      expect(res.headers.getSetCookie()).toStrictEqual([CLEARED_COOKIE, CLEARED_HINT])
      expect(h.events).toStrictEqual([])
    },
  )

  it('reports nothing for a forged cookie naming a real session: it is not that session’s owner', async () => {
    const bytes = Buffer.from(login.cookie, 'base64url')
    bytes[60]! ^= 1

    await postLogout('null', bytes.toString('base64url'))

    expect(h.events).toStrictEqual([])
    await h.refreshOk(login.cookie)
  })
})

describe('M1: POST /auth/logout that fails the CSRF check', () => {
  it('clears nothing, even when the store is down: otherwise any site could sign users out', async () => {
    const h = await createHarness()
    const { cookie } = await h.login('alice')
    h.store.get = outage

    const res = await h.send('/auth/logout', {
      method: 'POST',
      headers: {
        'x-csrf': '1',
        origin: 'https://evil.example',
        cookie: `${REFRESH_COOKIE}=${cookie}`,
      },
    })

    await expectError(res, 403, 'csrf_failed')
    expect(res.headers.getSetCookie()).toStrictEqual([])
    expect(h.eventsOf('logout_failed')).toStrictEqual([])
  })
})
