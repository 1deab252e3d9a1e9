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

/** What `value` is, in a refusal: its kind, never its content (a user is personal data). */
function kindOf(value: unknown): string {
  if (value === undefined) return 'undefined'
  if (typeof value === 'number') return 'a non-finite number'
  if (typeof value === 'bigint') return 'a BigInt'
  if (typeof value !== 'object' || value === null) return `a ${typeof value}`
  const name: unknown = (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } })
    .constructor?.name
  return typeof name === 'string' && name !== '' ? `an instance of ${name}` : 'not a plain object'
}

/** A key as a path segment: `.name` when it reads as one, else `["…"]`. */
const segment = (key: string) =>
  /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`

/**
 * Where `value` (at `path`) stops being JSON, and as what, or `null` when it is JSON all through:
 * `null`, booleans, strings, finite numbers, dense arrays of JSON and plain objects (prototype
 * `Object.prototype` or none) whose values are JSON or `undefined`. An `undefined` property is
 * absent in JSON, as in an optional property's type, so it is dropped; anywhere else JSON would
 * make `null` of it, or of `NaN`, and a `Date` a string, a `Map` `{}`, a class instance a plain
 * object: values of another type than the application's, while a `BigInt` or a cycle throws.
 */
function notJson(value: unknown, path: string, ancestors: object[]): string | null {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return null
    case 'number':
      return Number.isFinite(value) ? null : `${path} is ${kindOf(value)}`
    case 'object':
      break
    default:
      return `${path} is ${kindOf(value)}`
  }
  if (value === null) return null
  if (ancestors.includes(value)) return `${path} refers back to an object that contains it`
  ancestors.push(value)
  try {
    if (Array.isArray(value)) {
      if (Object.getPrototypeOf(value) !== Array.prototype) return `${path} is ${kindOf(value)}`
      for (let i = 0; i < value.length; i++) {
        if (!(i in value)) return `${path}[${i}] is a hole in the array`
        const found = notJson(value[i], `${path}[${i}]`, ancestors)
        if (found !== null) return found
      }
      return null
    }
    const proto: unknown = Object.getPrototypeOf(value)
    if (proto !== Object.prototype && proto !== null) return `${path} is ${kindOf(value)}`
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue
      const found = notJson(item, `${path}${segment(key)}`, ancestors)
      if (found !== null) return found
    }
    return null
  } finally {
    ancestors.pop()
  }
}

/**
 * @internal Throws a `TypeError` (a 500 `internal`, its cause logged: the application's bug)
 * unless `user` is an object whose `id` is a non-empty, well-formed string (no lone UTF-16
 * surrogate) without U+0000, and which is JSON all through. Every store but memory keeps the user
 * as JSON, so anything else came back from them as another value (a `Date` as a string, a `Map`
 * as `{}`) or failed there only (a `BigInt`: `503 store_unavailable`, which no retry mends),
 * while the memory store kept it: one application, other users, depending on the store. An
 * `undefined` property is accepted and dropped, by every store alike. The id indexes sessions and factors in every store, and PostgreSQL's
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
  const found = notJson(user, 'user', [])
  if (found !== null) {
    throw new TypeError(`${source} must resolve to a user that is plain JSON, but ${found}`)
  }
}
