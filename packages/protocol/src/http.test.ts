import { describe, expect, it } from 'vitest'
import { AUTH_PATH_REFRESH_COOKIE, REFRESH_COOKIE, SESSION_HINT_COOKIE } from './http.js'

describe('cookie names', () => {
  it('give the refresh cookie a prefix browsers enforce, and the hint none', () => {
    // __Host-: Secure, Path=/, no Domain; __Secure-: Secure (RFC 6265bis §4.1.3).
    expect(REFRESH_COOKIE).toBe('__Host-baton_rt')
    expect(AUTH_PATH_REFRESH_COOKIE).toBe('__Secure-baton_rt')
    expect(SESSION_HINT_COOKIE).toBe('baton_session')
  })
})
