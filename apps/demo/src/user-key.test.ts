import { describe, expect, it } from 'vitest'
import { nextUserKey, type UserKey } from './user-key'

/** The keys a page goes through, user by user (`null`: none while loading or signed out). */
function keys(...users: (string | null)[]): number[] {
  let key: UserKey = { userId: null, switches: 0 }
  return users.map((userId) => (key = nextUserKey(key, userId)).switches)
}

describe('nextUserKey', () => {
  it('Should keep the key while a resumed session fills its user in, and across refreshes', () => {
    expect(keys(null, 'u-alice', 'u-alice')).toStrictEqual([0, 0, 0])
    const key = { userId: 'u-alice', switches: 0 }
    expect(nextUserKey(key, 'u-alice')).toBe(key)
  })

  it('Should change the key when another user is adopted, with or without a sign-out between', () => {
    // Before: nothing changed when alice was replaced by bob directly, and her notes stayed.
    expect(keys('u-alice', 'u-bob')).toStrictEqual([0, 1])
    expect(keys('u-alice', null, 'u-bob', 'u-alice')).toStrictEqual([0, 0, 1, 2])
    expect(keys('u-alice', null, 'u-alice')).toStrictEqual([0, 0, 0])
  })
})
