import { describe, expect, it } from 'vitest'
import {
  grantFromBody,
  idleCheck,
  isDue,
  isUsable,
  marginOf,
  nextRefreshAt,
  parseGrant,
  skewOf,
  type Grant,
} from './grant.js'

const NOW = 1_000_000
const user = { id: 'u-alice', name: 'Alice' }
const body = {
  accessToken: 'token',
  tokenType: 'Bearer',
  expiresAt: NOW + 300_000,
  expiresIn: 300,
  user,
  sessionId: 's-1',
}
const grant = (lifetime: number, expiresAt = NOW + lifetime): Grant => ({
  accessToken: 'token',
  expiresAt,
  lifetime,
  issuedAt: expiresAt - lifetime,
  user,
  sessionId: 's-1',
})

describe('parseGrant', () => {
  it('reads a grant body, timing it by expiresIn on this clock', () => {
    // The server's clock is 10 minutes ahead: its expiresAt is ignored.
    expect(parseGrant({ ...body, expiresAt: NOW + 900_000 }, NOW)).toEqual({
      accessToken: 'token',
      expiresAt: NOW + 300_000,
      lifetime: 300_000,
      issuedAt: NOW,
      user,
      sessionId: 's-1',
    })
  })

  it('reads idleExpiresIn as a deadline on this clock, and does without it', () => {
    expect(parseGrant({ ...body, idleExpiresIn: 600 }, NOW)).toMatchObject({
      idleExpiresAt: NOW + 600_000,
    })
    expect(parseGrant(body, NOW)).not.toHaveProperty('idleExpiresAt')
    for (const idleExpiresIn of [-1, 'soon', null, Number.NaN]) {
      expect(parseGrant({ ...body, idleExpiresIn }, NOW)).not.toHaveProperty('idleExpiresAt')
    }
  })

  it('falls back on expiresAt when expiresIn is missing', () => {
    const { expiresIn: _, ...old } = body
    expect(grantFromBody(old, NOW)).toMatchObject({ lifetime: 300_000, expiresAt: NOW + 300_000 })
  })

  it.each([
    ['null', null],
    ['a string', 'token'],
    ['no token', { ...body, accessToken: undefined }],
    ['no session id', { ...body, sessionId: 7 }],
    ['no user', { ...body, user: null }],
    ['a user without id', { ...body, user: { name: 'Alice' } }],
    ['a user with an empty id', { ...body, user: { id: '' } }],
    ['no lifetime', { ...body, expiresIn: undefined, expiresAt: undefined }],
    ['a lifetime of 0', { ...body, expiresIn: 0 }],
    ['an infinite lifetime', { ...body, expiresIn: Infinity }],
    ['an expiry in the past', { ...body, expiresIn: undefined, expiresAt: NOW - 1 }],
  ])('refuses %s', (_, value) => {
    expect(parseGrant(value, NOW)).toBeNull()
  })
})

describe('grant arithmetic', () => {
  it('marginOf: the configured margin, at most half the lifetime', () => {
    expect(marginOf(grant(300_000), 30_000)).toBe(30_000)
    expect(marginOf(grant(3_000), 30_000)).toBe(1_500)
    expect(marginOf(grant(3_000), 500)).toBe(500)
  })

  it('skewOf: a tenth of the lifetime, at most 1 s', () => {
    expect(skewOf(grant(300_000))).toBe(1_000)
    expect(skewOf(grant(3_000))).toBe(300)
  })

  it('isUsable: until its skew before expiry', () => {
    const g = grant(300_000)
    expect(isUsable(g, g.expiresAt - 1_001)).toBe(true)
    expect(isUsable(g, g.expiresAt - 1_000)).toBe(false)
    expect(isUsable(g, g.expiresAt + 1)).toBe(false)
    expect(isUsable(null, NOW)).toBe(false)
  })

  it('isDue: from its margin before expiry', () => {
    const g = grant(300_000)
    expect(isDue(g, 30_000, g.expiresAt - 30_001)).toBe(false)
    expect(isDue(g, 30_000, g.expiresAt - 30_000)).toBe(true)
  })

  it('nextRefreshAt: the margin before expiry, minus a jitter of up to a tenth of it (at most 1 s)', () => {
    const g = grant(300_000)
    expect(nextRefreshAt(g, 30_000, 0)).toBe(g.expiresAt - 30_000)
    expect(nextRefreshAt(g, 30_000, 0.5)).toBe(g.expiresAt - 30_500)
    expect(nextRefreshAt(g, 30_000, 0.999)).toBe(g.expiresAt - 30_999)
    const short = grant(3_000)
    expect(nextRefreshAt(short, 30_000, 0.5)).toBe(short.expiresAt - 1_500 - 75)
  })

  it('nextRefreshAt: no later than the margin before the idle deadline', () => {
    const g = { ...grant(300_000), idleExpiresAt: NOW + 600_000 }
    expect(nextRefreshAt(g, 30_000, 0)).toBe(g.expiresAt - 30_000)
    const nearIdle = { ...g, idleExpiresAt: NOW + 200_000 }
    expect(nextRefreshAt(nearIdle, 30_000, 0.5)).toBe(NOW + 170_000)
  })

  it('idleCheck: inside the margin before the idle deadline, a second after it', () => {
    const g = { ...grant(300_000), idleExpiresAt: NOW + 600_000 }
    expect(idleCheck(grant(300_000), 30_000, NOW + 10_000_000)).toBeNull()
    expect(idleCheck(g, 30_000, NOW + 569_999)).toBeNull()
    expect(idleCheck(g, 30_000, NOW + 570_000)).toBe(NOW + 601_000)
    expect(idleCheck(g, 30_000, NOW + 700_000)).toBe(NOW + 601_000)
  })
})
