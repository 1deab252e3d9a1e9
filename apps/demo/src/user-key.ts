/**
 * @module
 * The signed-in page's React key. A user switch can be adopted directly, `authenticated` to
 * `authenticated` (another tab signed in as someone else, this tab asked the BFF and took the
 * new user's grant), without the sign-out that would have unmounted the page: per-user state
 * (notes, sessions, factors, the security console's stream) would stay on screen under the new
 * user's name. Keying the page on this remounts it then, and only then: the first user of a page
 * that resumes a session (no user while `loading`) is filled in, not remounted.
 */

/** The last user seen, and how many times another user replaced them. */
export interface UserKey {
  userId: string | null
  switches: number
}

/** The key after a render with `userId` (`null`: no user now); `key` itself when unchanged. */
export function nextUserKey(key: UserKey, userId: string | null): UserKey {
  if (userId === null || userId === key.userId) return key
  return { userId, switches: key.userId === null ? key.switches : key.switches + 1 }
}
