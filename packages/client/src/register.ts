/**
 * @module
 * `Register`: the app declares its user type once, and every default `TUser` follows (TanStack
 * Query's `Register`).
 */
import type { BaseUser, SessionUser } from '@baton/protocol'

/**
 * Augment this interface once to type the user everywhere (`createSessionClient`, its store,
 * `@baton/react`'s hooks) without repeating a type argument. The user type needs only a string
 * `id` (`BaseUser`): declare it as an `interface` or with `type`.
 *
 * @example
 * ```ts
 * interface User {
 *   id: string
 *   name: string
 *   roles: string[]
 * }
 *
 * declare module '@baton/client' {
 *   interface Register {
 *     user: User
 *   }
 * }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by the app
export interface Register {}

/** @internal The user type a `Register`-shaped interface declares, or `SessionUser`. */
export type UserOf<TRegister> = TRegister extends { user: infer TUser extends BaseUser }
  ? TUser
  : SessionUser

/**
 * The user type declared through {@link Register}, or `SessionUser` when none is.
 *
 * @example
 * ```ts
 * function greet(user: RegisteredUser) {
 *   return `Hello ${user.name}` // typed once `Register` declares `user`
 * }
 * ```
 */
export type RegisteredUser = UserOf<Register>
