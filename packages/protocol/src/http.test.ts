import { describe, expect, it } from 'vitest'
import {
  AUTH_PATH_REFRESH_COOKIE,
  isSessionTag,
  REFRESH_COOKIE,
  SESSION_HINT_COOKIE,
} from './http.js'

describe('cookie names', () => {
  it('give the refresh cookie a prefix browsers enforce, and the hint none', () => {
    // __Host-: Secure, Path=/, no Domain; __Secure-: Secure (RFC 6265bis §4.1.3).
    expect(REFRESH_COOKIE).toBe('__Host-baton_rt')
    expect(AUTH_PATH_REFRESH_COOKIE).toBe('__Secure-baton_rt')
    expect(SESSION_HINT_COOKIE).toBe('baton_session')
  })
})

describe('isSessionTag', () => {
  it('is true for 12 base64url characters only', () => {
    expect(['AbC-_09xyzQW', 'aaaaaaaaaaaa'].map(isSessionTag)).toEqual([true, true])
    expect(
      ['1', '', 'AbC-_09xyzQ', 'AbC-_09xyzQWe', 'AbC+/09xyzQW', 'AbC-_09xyz=='].map(isSessionTag),
    ).toEqual([false, false, false, false, false, false])
  })
})
