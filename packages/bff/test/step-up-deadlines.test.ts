/**
 * `POST /auth/reauthenticate` checks the cookie, then the password, then rotates. The password
 * check takes real time (a slow hash, a queue in front of it), and the session may end while it
 * runs: by its idle or absolute deadline, or by `bff.admin.revokeAll()`. A step-up must then be
 * refused like a refresh at that instant, never rotate the session back to life.
 */
import { describe, expect, it } from 'vitest'
import type { Authenticate, BffOptions } from '../src/index.js'
import {
  authenticate,
  createHarness,
  CSRF,
  expectError,
  MINUTE,
  passwordOf,
  requireAuthStatus,
  SECOND,
  type Harness,
} from './helpers.js'

/** A harness whose `authenticate` runs `during` (once set) before answering: a slow hash. */
async function slowPasswordHarness(options: Pick<BffOptions, 'idleTimeout' | 'absoluteTimeout'>) {
  let during: (() => Promise<void>) | undefined
  const slow: Authenticate = async (credentials, c) => {
    await during?.()
    return authenticate(credentials, c)
  }
  const h = await createHarness({ ...options, authenticate: slow })
  const whilePasswordIsChecked = (work: () => Promise<void>) => {
    during = work
  }
  return { h, whilePasswordIsChecked }
}

const reauthenticate = (h: Harness, token: string, cookie: string) =>
  h.send('/auth/reauthenticate', {
    method: 'POST',
    headers: {
      ...CSRF,
      'content-type': 'application/json',
      authorization: `Bearer ${token}`,
      cookie: `__Host-baton_rt=${cookie}`,
    },
    body: JSON.stringify({ username: 'alice', password: passwordOf('alice') }),
  })

/**
 * Alice signed in 10 minutes ago, refreshed in the background after 9 (no activity: the idle
 * deadline unmoved), and a step-up's password check that ends 1 ms past the 10-minute deadline.
 */
async function deadlinePassedDuringPasswordCheck(
  options: Pick<BffOptions, 'idleTimeout' | 'absoluteTimeout'>,
) {
  const { h, whilePasswordIsChecked } = await slowPasswordHarness(options)
  const login = await h.login('alice')
  h.clock.advance(9 * MINUTE)
  const stale = await h.refreshOk(login.cookie)
  h.clock.advance(MINUTE - 1)
  whilePasswordIsChecked(async () => {
    h.clock.advance(2)
  })
  return { h, stale }
}

describe('POST /auth/reauthenticate when the session ends during the password check', () => {
  it('answers session_expired once the idle deadline passed, and the session stays over', async () => {
    const { h, stale } = await deadlinePassedDuringPasswordCheck({ idleTimeout: '10m' })

    await expectError(
      await reauthenticate(h, stale.body.accessToken, stale.cookie),
      401,
      'session_expired',
    )
    await expectError(await h.refresh(stale.cookie), 401, 'session_expired')
  })

  it('answers session_expired once the absolute deadline passed', async () => {
    const { h, stale } = await deadlinePassedDuringPasswordCheck({
      idleTimeout: '10m',
      absoluteTimeout: '10m',
    })

    await expectError(
      await reauthenticate(h, stale.body.accessToken, stale.cookie),
      401,
      'session_expired',
    )
  })

  it('answers session_revoked after revokeAll(), issuing no token requireAuth would accept', async () => {
    const { h, whilePasswordIsChecked } = await slowPasswordHarness({})
    const login = await h.login('alice')
    whilePasswordIsChecked(async () => {
      await h.bff.admin.revokeAll()
      // The hash finishes after the epoch's second has begun.
      h.clock.advance(SECOND)
    })

    const res = await reauthenticate(h, login.body.accessToken, login.cookie)

    if (res.status === 200) {
      const { accessToken } = (await res.clone().json()) as { accessToken: string }
      expect(
        await requireAuthStatus(h.bff, accessToken),
        'an access token minted for a session revokeAll() ended',
      ).toBe(401)
    }
    await expectError(res, 401, 'session_revoked')
  })
})
