/**
 * @module
 * What an application's `authenticate` or `mapUser` must resolve to, checked the same on every
 * sign-in path.
 * @internal
 */
import type { BaseUser } from '@baton/protocol'

/**
 * @internal Throws a `TypeError` (a 500 `internal`, its cause logged: the application's bug)
 * unless `user` is an object whose `id` is a non-empty string without U+0000. The id indexes
 * sessions and factors in every store, and PostgreSQL's TEXT cannot hold a NUL: accepted by the
 * memory and SQLite stores, such an id was refused there as `503 store_unavailable`, which a
 * client retries though no retry can succeed.
 */
export function assertUser(
  user: unknown,
  source: 'authenticate' | 'mapUser',
): asserts user is BaseUser {
  const id = typeof user === 'object' && user !== null ? (user as { id?: unknown }).id : undefined
  if (typeof id !== 'string' || id === '' || id.includes('\u0000')) {
    throw new TypeError(
      `${source} must resolve to null or a user whose id is a non-empty string without U+0000`,
    )
  }
}
