/**
 * @module
 * What an application's `authenticate` or `mapUser` must resolve to, checked the same on every
 * sign-in path.
 * @internal
 */
import type { BaseUser } from '@baton/protocol'

/** A lone UTF-16 surrogate (`String.prototype.isWellFormed` is past the ES2023 lib). */
const LONE_SURROGATE = /\p{Cs}/u

/**
 * @internal Whether `id` can be a user's id in every store: non-empty, without U+0000 (PostgreSQL's
 * TEXT refuses it) and without a lone UTF-16 surrogate (node-postgres sends it as U+FFFD, another id).
 */
export const usableUserId = (id: string): boolean =>
  id !== '' && !id.includes('\u0000') && !LONE_SURROGATE.test(id)

/**
 * @internal Throws a `TypeError` (a 500 `internal`, its cause logged: the application's bug)
 * unless `user` is an object whose `id` is a non-empty, well-formed string (no lone UTF-16
 * surrogate) without U+0000. The id indexes sessions and factors in every store, and PostgreSQL's
 * TEXT cannot hold a NUL: accepted by the memory and SQLite stores, such an id was refused there
 * as `503 store_unavailable`, which a client retries though no retry can succeed. A lone surrogate
 * is worse: node-postgres sends it as U+FFFD, so the session would belong to another id.
 */
export function assertUser(
  user: unknown,
  source: 'authenticate' | 'mapUser',
): asserts user is BaseUser {
  const id = typeof user === 'object' && user !== null ? (user as { id?: unknown }).id : undefined
  if (typeof id !== 'string' || !usableUserId(id)) {
    throw new TypeError(
      `${source} must resolve to null or a user whose id is a non-empty, well-formed string without U+0000`,
    )
  }
}
