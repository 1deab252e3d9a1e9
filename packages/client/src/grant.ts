/**
 * @module
 * An access token as this tab holds it, and the pure arithmetic on it: when it may be sent, when
 * to refresh it. No clock is read here: callers pass `now` (and the jitter's random number), so
 * every rule is tested exactly.
 */
import type { GrantBody, BaseUser, SessionUser, TabGrant } from '@baton/protocol'

/**
 * A token the BFF granted, with its expiry on this device's clock: exactly what tabs hand each
 * other, so it is the protocol's `TabGrant`.
 */
export type Grant<TUser extends BaseUser = BaseUser> = TabGrant<TUser>

/** The fields of a wire body `T`, none of them checked yet: reading any other is a type error. */
export type Unchecked<T> = { readonly [K in keyof T]?: unknown }

/** @internal True for a non-null object (whose fields may then be read). */
export const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null

/** @internal True for a non-empty string (an id, a name). */
export const isId = (value: unknown): value is string => typeof value === 'string' && value !== ''

/** @internal True for a `SessionUser` (an object with a string `id`). */
export const isSessionUser = (value: unknown): value is SessionUser =>
  isObject(value) && isId(value.id)

/**
 * Reads a login or refresh answer ({@link GrantBody}) received at `now`; `null` when it is not
 * one. The lifetime comes from `expiresIn`, relative, because this device's clock may be minutes
 * off the server's; `expiresAt` is the fallback of an older BFF. `idleExpiresIn` becomes
 * `idleExpiresAt` on this clock, and is left out when the BFF did not send a usable one.
 */
export function grantFromBody<TUser extends BaseUser>(
  body: Unchecked<GrantBody>,
  now: number,
): Grant<TUser> | null {
  const { accessToken, expiresIn, expiresAt, idleExpiresIn, user, sessionId } = body
  if (typeof accessToken !== 'string' || typeof sessionId !== 'string') return null
  if (!isSessionUser(user)) return null
  const lifetime =
    typeof expiresIn === 'number'
      ? expiresIn * 1000
      : typeof expiresAt === 'number'
        ? expiresAt - now
        : NaN
  if (!Number.isFinite(lifetime) || lifetime <= 0) return null
  // The user's claims beyond `id` are the app's word (its `authenticate` returned them).
  const grant: Grant<TUser> = {
    accessToken,
    expiresAt: now + lifetime,
    lifetime,
    issuedAt: now,
    user: user as BaseUser as TUser,
    sessionId,
  }
  if (isTime(idleExpiresIn) && idleExpiresIn >= 0) grant.idleExpiresAt = now + idleExpiresIn * 1000
  return grant
}

/** @internal A finite number. */
export const isTime = (value: unknown): value is number => Number.isFinite(value)

/** {@link grantFromBody} for a body of unknown shape. */
export const parseGrant = <TUser extends BaseUser>(body: unknown, now: number) =>
  isObject(body) ? grantFromBody<TUser>(body, now) : null

/** Refresh this long before expiry: the configured margin, at most half the token's lifetime. */
export const marginOf = (grant: Grant, refreshMargin: number): number =>
  Math.min(refreshMargin, grant.lifetime / 2)

/** A token this close to expiry is not sent: it could expire on the way (at most 1 s). */
export const skewOf = (grant: Grant): number => Math.min(1_000, grant.lifetime / 10)

/** True when `grant` may still be sent at `now`. */
export const isUsable = <TUser extends BaseUser>(
  grant: Grant<TUser> | null,
  now: number,
): grant is Grant<TUser> => grant !== null && now < grant.expiresAt - skewOf(grant)

/** True when `grant` should be refreshed at `now` (inside its margin, or expired). */
export const isDue = (grant: Grant, refreshMargin: number, now: number): boolean =>
  now >= grant.expiresAt - marginOf(grant, refreshMargin)

/**
 * When to refresh `grant` proactively: its margin before expiry, minus a jitter of up to a tenth
 * of the margin (at most 1 s), so the tabs of many devices do not all refresh at once; but no
 * later than its margin before the session's idle deadline, where the tab decides whether its
 * user was active (see {@link idleCheck}). `random` is a number in [0, 1).
 */
export const nextRefreshAt = (
  grant: Grant<BaseUser>,
  refreshMargin: number,
  random: number,
): number => {
  const margin = marginOf(grant, refreshMargin)
  const at = grant.expiresAt - margin - random * Math.min(1_000, margin / 10)
  return Math.min(at, (grant.idleExpiresAt ?? Infinity) - margin)
}

/**
 * What a proactive refresh of `grant` at `now` should do when this tab's user was not active
 * since its last activity refresh: `null` to refresh (the idle deadline is not near, so a refresh
 * that does not extend it keeps the token fresh), or the time to ask the BFF once whether the
 * session is over: a second after the idle deadline, as `idleExpiresIn` is rounded down.
 */
export const idleCheck = (
  grant: Grant<BaseUser>,
  refreshMargin: number,
  now: number,
): number | null => {
  const idleAt = grant.idleExpiresAt
  return idleAt !== undefined && now >= idleAt - marginOf(grant, refreshMargin)
    ? idleAt + 1_000
    : null
}
