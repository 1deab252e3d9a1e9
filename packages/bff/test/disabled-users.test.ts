/**
 * M4 of issue 12: refresh never asked the application again, so a disabled or deleted user kept
 * getting fresh access tokens until the session's deadlines (5/5 refreshes after disabling). Now
 * `validateSession` is asked on every refresh, and `bff.admin` ends a user's sessions at once.
 */
import { Hono } from 'hono'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import {
  BffError,
  createBff,
  requireAuth,
  type BffOptions,
  type RequireAuthVariables,
  type SessionInfo,
} from '../src/index.js'
import {
  ALICE,
  authenticate,
  BOB,
  CLEARED_COOKIE,
  CLEARED_HINT,
  createHarness,
  CSRF,
  expectError,
  MINUTE,
  passwordOf,
  REFRESH_COOKIE,
  T0,
  testLogger,
  type Harness,
} from './helpers.js'

/** A user directory the tests disable users in. */
function directory() {
  const disabled = new Set<string>()
  const validateSession = vi.fn(async (session: SessionInfo) => !disabled.has(session.userId))
  return { disabled, validateSession }
}

/** An API behind `requireAuth({ checkRevoked })` on the harness's store and clock. */
function api(h: Harness) {
  const app = new Hono<{ Variables: RequireAuthVariables }>()
    .use(
      requireAuth({
        jwks: h.keys,
        issuer: 'baton',
        audience: 'baton-api',
        checkRevoked: h.store,
        now: h.clock.now,
      }),
    )
    .get('/me', (c) => c.json({ id: c.var.userId }))
  return (token: string) => app.request('/me', { headers: { authorization: `Bearer ${token}` } })
}

describe('M4: validateSession refusing a disabled user', () => {
  let h: Harness
  let users: ReturnType<typeof directory>
  let login: Awaited<ReturnType<Harness['login']>>
  beforeEach(async () => {
    users = directory()
    h = await createHarness({ validateSession: users.validateSession })
    login = await h.login('alice')
    h.clock.advance(MINUTE)
  })

  it('ends the session on the next refresh: 401 session_revoked, cookies cleared', async () => {
    users.disabled.add(ALICE.id)

    const res = await h.refresh(login.cookie)

    expect(res.headers.getSetCookie()).toStrictEqual([CLEARED_COOKIE, CLEARED_HINT])
    await expectError(res, 401, 'session_revoked')
  })

  it('never issues another token: every later refresh is refused too', async () => {
    users.disabled.add(ALICE.id)

    const answers = []
    for (let i = 0; i < 5; i++) answers.push((await h.refresh(login.cookie)).status)

    expect(answers).toStrictEqual([401, 401, 401, 401, 401])
  })

  it('emits revoked with reason user_invalid, and requireAuth({ checkRevoked }) refuses the access token', async () => {
    const me = api(h)
    expect((await me(login.body.accessToken)).status).toBe(200)
    users.disabled.add(ALICE.id)

    await h.refresh(login.cookie, { headers: { 'user-agent': 'Vitest/1.0' } })

    expect(h.events.slice(1)).toStrictEqual([
      {
        type: 'revoked',
        reason: 'user_invalid',
        sessionId: login.body.sessionId,
        userId: ALICE.id,
        at: T0 + MINUTE,
        ip: null,
        userAgent: 'Vitest/1.0',
      },
    ])
    await expectError(await me(login.body.accessToken), 401, 'invalid_token')
  })

  it('refuses a duplicate inside the grace window as well', async () => {
    await h.refreshOk(login.cookie)
    users.disabled.add(ALICE.id)

    await expectError(await h.refresh(login.cookie), 401, 'session_revoked')
  })

  it('is asked with the session, without its token material, and the request context', async () => {
    await h.refreshOk(login.cookie)

    expect(users.validateSession).toHaveBeenCalledTimes(1)
    expect(users.validateSession.mock.calls[0]).toStrictEqual([
      {
        id: login.body.sessionId,
        userId: ALICE.id,
        user: ALICE,
        createdAt: T0,
        lastUsedAt: T0,
        expiresAt: T0 + 30 * 24 * 60 * MINUTE,
        idleExpiresAt: T0 + 24 * 60 * MINUTE,
        userAgent: null,
        ip: null,
      },
      expect.objectContaining({ req: expect.anything() as unknown }),
    ])
  })

  it('is not asked on login, and lets other users through', async () => {
    users.disabled.add(ALICE.id)
    const bob = await h.login('bob')

    await h.refreshOk(bob.cookie)

    expect(users.validateSession.mock.calls.map(([session]) => session.userId)).toStrictEqual([
      BOB.id,
    ])
  })
})

describe('validateSession and a step-up', () => {
  // Before: POST /reauthenticate issued a grant (a token, a rotated cookie, a fresh authTime)
  // without asking validateSession, which refresh asks before every grant.
  it('does not issue a grant for a session validateSession refuses', async () => {
    let disabled = false
    const h = await createHarness({ validateSession: () => !disabled })
    const alice = await h.login('alice')
    disabled = true
    const res = await h.send('/auth/reauthenticate', {
      method: 'POST',
      headers: {
        ...CSRF,
        'content-type': 'application/json',
        authorization: `Bearer ${alice.body.accessToken}`,
        cookie: `${REFRESH_COOKIE}=${alice.cookie}`,
      },
      body: JSON.stringify({ username: 'alice', password: passwordOf('alice') }),
    })
    // A refresh at this point answers 401 session_revoked; a step-up must not hand out a token.
    expect(res.status).toBe(401)
    await expectError(res, 401, 'session_revoked')
  })
})

describe('M4: validateSession that fails', () => {
  it.each<[string, BffOptions['validateSession']]>([
    [
      'throws',
      () => {
        throw new Error('user database down')
      },
    ],
    ['rejects', () => Promise.reject(new Error('user database down'))],
    ['resolves to something else than a boolean', (() => undefined) as unknown as () => boolean],
  ])(
    'that %s answers 503 store_unavailable, logs, and ends nothing',
    async (_, validateSession) => {
      let failing = true
      const h = await createHarness({
        validateSession: (session, c) => (failing ? validateSession!(session, c) : true),
      })
      const login = await h.login('alice')

      const res = await h.refresh(login.cookie)

      expect(res.headers.getSetCookie()).toStrictEqual([])
      expect(res.headers.get('retry-after')).toBe('1')
      await expectError(res, 503, 'store_unavailable')
      expect(h.logger.error).toHaveBeenCalledTimes(1)
      expect(h.eventsOf('revoked')).toStrictEqual([])
      failing = false
      await h.refreshOk(login.cookie)
    },
  )

  it('must be a function', () => {
    const options = { authenticate, logger: testLogger(), validateSession: true }

    expect(() => createBff(options as unknown as BffOptions)).toThrow(
      new TypeError('createBff: validateSession must be a function'),
    )
  })
})

describe('M4: bff.admin.revokeUser()', () => {
  let h: Harness
  let sessions: Awaited<ReturnType<Harness['login']>>[]
  let bob: Awaited<ReturnType<Harness['login']>>
  beforeEach(async () => {
    h = await createHarness()
    sessions = [await h.login('alice'), await h.login('alice')]
    bob = await h.login('bob')
    h.events.length = 0
  })

  it('ends every session of the user at once, and returns their ids', async () => {
    const ids = await h.bff.admin.revokeUser(ALICE.id)

    expect(ids.sort()).toStrictEqual(sessions.map((s) => s.body.sessionId).sort())
    for (const { cookie } of sessions) {
      await expectError(await h.refresh(cookie), 401, 'session_revoked')
    }
    await h.refreshOk(bob.cookie)
  })

  it('emits revoked with reason user_invalid for each, with no request behind it', async () => {
    await h.bff.admin.revokeUser(ALICE.id)

    expect(h.events).toStrictEqual(
      sessions.map(({ body }) => ({
        type: 'revoked',
        reason: 'user_invalid',
        sessionId: body.sessionId,
        userId: ALICE.id,
        at: T0,
        ip: null,
        userAgent: null,
      })),
    )
  })

  it('reaches requireAuth({ checkRevoked }) like any revocation', async () => {
    const me = api(h)

    await h.bff.admin.revokeUser(ALICE.id, 'revoked')

    await expectError(await me(sessions[0]!.body.accessToken), 401, 'invalid_token')
    expect((await me(bob.body.accessToken)).status).toBe(200)
    expect(h.eventsOf('revoked').map((e) => e.reason)).toStrictEqual(['revoked', 'revoked'])
  })

  it('rejects with the 503 BffError when the store is down, revoking nothing', async () => {
    h.store.revokeByUser = () => Promise.reject(new Error('ECONNREFUSED'))

    const error: unknown = await h.bff.admin.revokeUser(ALICE.id).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(BffError)
    expect(error).toMatchObject({ status: 503, code: 'store_unavailable' })
    expect(h.events).toStrictEqual([])
  })

  it.each<[string, () => Promise<unknown>, string]>([
    [
      'an empty user id',
      () => h.bff.admin.revokeUser(''),
      'admin.revokeUser: userId must be a non-empty string',
    ],
    [
      'an unknown reason',
      () => h.bff.admin.revokeUser(ALICE.id, 'logout' as 'revoked'),
      'admin.revokeUser: reason must be "user_invalid" or "revoked", got "logout"',
    ],
    [
      'a session id that is not a string',
      () => h.bff.admin.revokeSession(42 as unknown as string),
      'admin.revokeSession: sessionId must be a non-empty string',
    ],
  ])('rejects %s with a TypeError', async (_, call, message) => {
    await expect(call()).rejects.toThrow(new TypeError(message))
  })
})

describe('M4: bff.admin.revokeSession()', () => {
  it('ends one session once, with reason revoked by default', async () => {
    const h = await createHarness()
    const first = await h.login('alice')
    const second = await h.login('alice')

    expect(await h.bff.admin.revokeSession(first.body.sessionId)).toBe(true)
    expect(await h.bff.admin.revokeSession(first.body.sessionId)).toBe(false)

    await expectError(await h.refresh(first.cookie), 401, 'session_revoked')
    await h.refreshOk(second.cookie)
    expect(h.eventsOf('revoked')).toStrictEqual([
      expect.objectContaining({ reason: 'revoked', sessionId: first.body.sessionId }),
    ])
  })
})
