import { base64url, decodeJwt } from 'jose'
import { beforeEach, describe, expect, it } from 'vitest'
import {
  ALICE,
  CLEARED_COOKIE,
  CLEARED_HINT,
  createHarness,
  expectError,
  MINUTE,
  REFRESH_COOKIE,
  REFRESH_TOKEN,
  refreshSetCookie,
  SECOND,
  T0,
  type Harness,
  hintCookie,
} from './helpers.js'

/** Flips one bit of the decoded token at `byteIndex` and re-encodes it. */
function flipByte(cookie: string, byteIndex: number): string {
  const bytes = base64url.decode(cookie)
  bytes[byteIndex]! ^= 0x01
  return base64url.encode(bytes)
}

describe('POST /auth/refresh with the current cookie', () => {
  let h: Harness
  beforeEach(async () => {
    h = await createHarness()
  })

  it('answers 200 with a new access token for the same session and user', async () => {
    const login = await h.login('alice')
    h.clock.advance(MINUTE)

    const { res, body } = await h.refreshOk(login.cookie)

    expect(body).toStrictEqual({
      accessToken: expect.any(String) as string,
      tokenType: 'Bearer',
      expiresAt: T0 + MINUTE + 300_000,
      expiresIn: 300,
      // A refresh without the activity header leaves the idle deadline at login + 24 h.
      idleExpiresIn: 86_400 - 60,
      user: ALICE,
      sessionId: login.body.sessionId,
    })
    expect(body.accessToken).not.toBe(login.body.accessToken)
    expect(decodeJwt(body.accessToken)).toMatchObject({ sid: login.body.sessionId, sub: ALICE.id })
    expect(res.headers.get('cache-control')).toBe('no-store')
  })

  it('rotates the cookie, whose Max-Age counts down to the absolute deadline', async () => {
    const login = await h.login('alice')
    h.clock.advance(MINUTE)

    const { res, cookie } = await h.refreshOk(login.cookie)

    expect(cookie).toMatch(REFRESH_TOKEN)
    expect(cookie).not.toBe(login.cookie)
    expect(res.headers.getSetCookie()).toStrictEqual([
      refreshSetCookie(cookie, 2591940),
      hintCookie(cookie, 2591940),
    ])
  })

  it('emits one refresh event per rotation with an increasing generation', async () => {
    const login = await h.login('alice', { headers: { 'user-agent': 'Vitest/1.0' } })
    let cookie = login.cookie
    for (let i = 0; i < 3; i++) {
      h.clock.advance(MINUTE)
      cookie = (await h.refreshOk(cookie, { headers: { 'user-agent': 'Vitest/1.0' } })).cookie
    }

    expect(h.eventsOf('refresh')).toStrictEqual(
      [1, 2, 3].map((generation) => ({
        type: 'refresh',
        duplicate: false,
        generation,
        sessionId: login.body.sessionId,
        userId: ALICE.id,
        at: T0 + generation * MINUTE,
        ip: null,
        userAgent: 'Vitest/1.0',
      })),
    )
  })

  it('refuses a second cookie of the same name after the first: 401 no_session, never a guess (M3)', async () => {
    const login = await h.login('alice')

    const res = await h.post('/refresh', {
      headers: {
        cookie: `theme=dark; ${REFRESH_COOKIE}=${login.cookie}; ${REFRESH_COOKIE}=garbage`,
      },
    })

    expect(res.headers.getSetCookie()).toStrictEqual([CLEARED_COOKIE, CLEARED_HINT])
    await expectError(res, 401, 'no_session')
  })
})

describe('POST /auth/refresh without a usable cookie', () => {
  let h: Harness
  beforeEach(async () => {
    h = await createHarness()
  })

  it.each([
    ['no Cookie header', {}],
    ['other cookies only', { cookie: 'theme=dark; lang=en' }],
    ['an empty value', { cookie: `${REFRESH_COOKIE}=` }],
    ['characters outside base64url', { cookie: `${REFRESH_COOKIE}=abc.def+ghi/jkl` }],
    ['a quoted value', { cookie: `${REFRESH_COOKIE}="abc"` }],
    ['percent-encoding that does not decode', { cookie: `${REFRESH_COOKIE}=%E0%A4%A` }],
    ['a token that is too short', { cookie: `${REFRESH_COOKIE}=${'A'.repeat(85)}` }],
    ['a token that is too long', { cookie: `${REFRESH_COOKIE}=${'A'.repeat(129)}` }],
    [
      'a token of 63 bytes',
      { cookie: `${REFRESH_COOKIE}=${base64url.encode(new Uint8Array(63))}` },
    ],
  ])('answers 401 no_session for %s and clears the cookie', async (_, headers) => {
    const res = await h.post('/refresh', { headers })

    expect(res.headers.getSetCookie()).toStrictEqual([CLEARED_COOKIE, CLEARED_HINT])
    await expectError(res, 401, 'no_session')
    expect(h.events).toStrictEqual([])
  })

  it('answers 401 no_session for a forged token naming a live session, which stays usable', async () => {
    const login = await h.login('alice')
    // The tag is the last 16 bytes: the session id is real, the secret and tag are not ours.
    const forged = flipByte(login.cookie, 60)
    const forgedSecret = flipByte(login.cookie, 20)

    const tagRes = await h.refresh(forged)
    const secretRes = await h.refresh(forgedSecret)

    expect(tagRes.headers.getSetCookie()).toStrictEqual([CLEARED_COOKIE, CLEARED_HINT])
    await expectError(tagRes, 401, 'no_session')
    await expectError(secretRes, 401, 'no_session')
    // A forgery must never be mistaken for reuse: that would let anyone end someone's session.
    expect(h.eventsOf('reuse_detected')).toStrictEqual([])
    await h.refreshOk(login.cookie)
  })

  it('answers 401 no_session for another base64url spelling of the current token, which stays usable', async () => {
    const login = await h.login('alice')
    // 86 characters carry 516 bits for 512: the last character's low bits are spare, so this
    // decodes to the very same bytes. It must not pass for a stolen ancestor (reuse).
    const last = login.cookie.at(-1)!
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    const respelled = login.cookie.slice(0, -1) + alphabet[alphabet.indexOf(last) ^ 1]
    expect(base64url.encode(base64url.decode(respelled))).toBe(login.cookie)

    await expectError(await h.refresh(respelled), 401, 'no_session')
    expect(h.eventsOf('reuse_detected')).toStrictEqual([])
    await h.refreshOk(login.cookie)
  })

  it('answers 401 no_session for a well-formed token of a session the store does not know, as for a forged one', async () => {
    // The same code as a forged tag: which session ids exist is nobody's business. A session the
    // store already swept after its deadline is unknown too.
    const unknown = base64url.encode(globalThis.crypto.getRandomValues(new Uint8Array(64)))

    const res = await h.refresh(unknown)

    expect(res.headers.getSetCookie()).toStrictEqual([CLEARED_COOKIE, CLEARED_HINT])
    await expectError(res, 401, 'no_session')
  })
})

describe('POST /auth/refresh with the previous cookie inside the grace window', () => {
  let h: Harness
  beforeEach(async () => {
    h = await createHarness()
  })

  it('answers with the same successor cookie and a duplicate refresh event', async () => {
    const login = await h.login('alice')
    const first = await h.refreshOk(login.cookie)
    h.clock.advance(5 * SECOND)

    const again = await h.refreshOk(login.cookie)

    expect(again.cookie).toBe(first.cookie)
    expect(again.body.sessionId).toBe(login.body.sessionId)
    expect(h.eventsOf('refresh').map((e) => [e.duplicate, e.generation])).toStrictEqual([
      [false, 1],
      [true, 1],
    ])
  })

  it('still honours it at exactly 10 s after the rotation', async () => {
    const login = await h.login('alice')
    const first = await h.refreshOk(login.cookie)
    h.clock.advance(10 * SECOND)

    const again = await h.refreshOk(login.cookie)

    expect(again.cookie).toBe(first.cookie)
  })

  it('leaves the successor as the one current token, which rotates normally', async () => {
    const login = await h.login('alice')
    const first = await h.refreshOk(login.cookie)
    await h.refreshOk(login.cookie)

    const next = await h.refreshOk(first.cookie)

    expect(next.cookie).not.toBe(first.cookie)
    expect(h.eventsOf('refresh').at(-1)).toMatchObject({ duplicate: false, generation: 2 })
  })

  it('honours a configured gracePeriod', async () => {
    const custom = await createHarness({ gracePeriod: '30s' })
    const login = await custom.login('alice')
    const first = await custom.refreshOk(login.cookie)
    custom.clock.advance(30 * SECOND)

    const again = await custom.refreshOk(login.cookie)

    expect(again.cookie).toBe(first.cookie)
  })
})

describe('POST /auth/refresh with an already-rotated cookie outside the grace window', () => {
  let h: Harness
  let login: Awaited<ReturnType<Harness['login']>>
  let successor: string
  beforeEach(async () => {
    h = await createHarness()
    login = await h.login('alice')
    successor = (await h.refreshOk(login.cookie)).cookie
    h.clock.advance(10 * SECOND + 1)
  })

  it('answers 401 refresh_token_reused and clears the cookie', async () => {
    const res = await h.refresh(login.cookie)

    expect(res.headers.getSetCookie()).toStrictEqual([CLEARED_COOKIE, CLEARED_HINT])
    await expectError(res, 401, 'refresh_token_reused')
  })

  it('revokes the whole family: the current token is refused too', async () => {
    await h.refresh(login.cookie)

    const res = await h.refresh(successor)

    expect(res.headers.getSetCookie()).toStrictEqual([CLEARED_COOKIE, CLEARED_HINT])
    await expectError(res, 401, 'refresh_token_reused')
  })

  it('refuses the access tokens of the revoked session at /auth/sessions', async () => {
    await h.refresh(login.cookie)

    const res = await h.listSessions(login.body.accessToken)

    await expectError(res, 401, 'invalid_token')
  })

  it('emits reuse_detected and revoked once, however often the stale token comes back', async () => {
    await h.refresh(login.cookie)
    await h.refresh(login.cookie)
    await h.refresh(successor)

    const expected = {
      sessionId: login.body.sessionId,
      userId: ALICE.id,
      at: T0 + 10 * SECOND + 1,
      ip: null,
      userAgent: null,
    }
    expect(h.events.slice(2)).toStrictEqual([
      { type: 'reuse_detected', generation: 1, ...expected },
      { type: 'revoked', reason: 'reuse_detected', ...expected },
    ])
  })

  it('leaves other sessions of the same user alone', async () => {
    const other = await h.login('alice')
    await h.refresh(login.cookie)

    await h.refreshOk(other.cookie)
  })
})

describe('POST /auth/refresh with a cookie two rotations old', () => {
  it('is reuse even inside the grace window: only the immediately previous token has grace', async () => {
    const h = await createHarness()
    const login = await h.login('alice')
    const first = await h.refreshOk(login.cookie)
    const second = await h.refreshOk(first.cookie)

    const res = await h.refresh(login.cookie)

    await expectError(res, 401, 'refresh_token_reused')
    await expectError(await h.refresh(second.cookie), 401, 'refresh_token_reused')
  })
})

describe('POST /auth/refresh with gracePeriod: 0', () => {
  it('treats a duplicate in the same millisecond as reuse', async () => {
    const h = await createHarness({ gracePeriod: 0 })
    const login = await h.login('alice')
    const first = await h.refreshOk(login.cookie)

    const res = await h.refresh(login.cookie)

    await expectError(res, 401, 'refresh_token_reused')
    await expectError(await h.refresh(first.cookie), 401, 'refresh_token_reused')
    expect(h.eventsOf('reuse_detected')).toHaveLength(1)
  })
})

describe('50 concurrent refreshes with one token', () => {
  const CONCURRENCY = 50
  let h: Harness
  let login: Awaited<ReturnType<Harness['login']>>
  let responses: Response[]
  beforeEach(async () => {
    h = await createHarness()
    login = await h.login('alice')
    responses = await Promise.all(
      Array.from({ length: CONCURRENCY }, () => h.refresh(login.cookie)),
    )
  })

  it('all succeed with the same successor cookie', async () => {
    expect(responses.map((r) => r.status)).toStrictEqual(Array(CONCURRENCY).fill(200))
    const cookies = new Set(responses.map((r) => r.headers.getSetCookie()[0]))
    expect(cookies.size).toBe(1)
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as { sessionId: string }[]
    expect(new Set(bodies.map((b) => b.sessionId))).toStrictEqual(new Set([login.body.sessionId]))
  })

  it('rotates exactly once: one fresh refresh and 49 duplicates, all of generation 1', () => {
    const refreshes = h.eventsOf('refresh')
    expect(refreshes.filter((e) => !e.duplicate)).toHaveLength(1)
    expect(refreshes.filter((e) => e.duplicate)).toHaveLength(CONCURRENCY - 1)
    expect(new Set(refreshes.map((e) => e.generation))).toStrictEqual(new Set([1]))
  })

  it('leaves the successor as the only valid token once the grace window has passed', async () => {
    const successor = (await h.refreshOk(login.cookie)).cookie
    h.clock.advance(10 * SECOND + 1)

    const next = await h.refreshOk(successor)
    const stale = await h.refresh(login.cookie)

    expect(next.cookie).not.toBe(successor)
    await expectError(stale, 401, 'refresh_token_reused')
  })

  it('leaves the original token worthless once the grace window has passed', async () => {
    h.clock.advance(10 * SECOND + 1)

    await expectError(await h.refresh(login.cookie), 401, 'refresh_token_reused')
    expect(h.eventsOf('reuse_detected')).toHaveLength(1)
  })
})
