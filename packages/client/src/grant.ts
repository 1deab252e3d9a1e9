/**
 * @module
 * An access token as this tab holds it, and the pure arithmetic on it: when it may be sent, when
 * to refresh it. No clock is read here: callers pass `now` (and the jitter's random number), so
 * every rule is tested exactly.
 */
import type { GrantBody, SessionUser, TabGrant } from '@baton/protocol'

/**
 * A token the BFF granted, with its expiry on this device's clock: exactly what tabs hand each
 * other, so it is the protocol's `TabGrant`.
 */
export type Grant<TUser extends SessionUser = SessionUser> = TabGrant<TUser>

/** The fields of a wire body `T`, none of them checked yet: reading any other is a type error. */
export type Unchecked<T> = { readonly [K in keyof T]?: unknown }

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null

/** @internal True for a `SessionUser` (an object with a string `id`). */
export const isSessionUser = (value: unknown): value is SessionUser =>
  isObject(value) && typeof value.id === 'string'

/**
 * Reads a login or refresh answer ({@link GrantBody}) received at `now`; `null` when it is not
 * one. The lifetime comes from `expiresIn`, relative, because this device's clock may be minutes
 * off the server's; `expiresAt` is the fallback of an older BFF.
 */
export function grantFromBody<TUser extends SessionUser>(
  body: Unchecked<GrantBody>,
  now: number,
): Grant<TUser> | null {
  const { accessToken, expiresIn, expiresAt, user, sessionId } = body
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
  return {
    accessToken,
    expiresAt: now + lifetime,
    lifetime,
    issuedAt: now,
    user: user as TUser,
    sessionId,
  }
}

/** {@link grantFromBody} for a body of unknown shape. */
export const parseGrant = <TUser extends SessionUser>(body: unknown, now: number) =>
  isObject(body) ? grantFromBody<TUser>(body, now) : null

/** Refresh this long before expiry: the configured margin, at most half the token's lifetime. */
export const marginOf = (grant: Grant, refreshMargin: number): number =>
  Math.min(refreshMargin, grant.lifetime / 2)

/** A token this close to expiry is not sent: it could expire on the way (at most 1 s). */
export const skewOf = (grant: Grant): number => Math.min(1_000, grant.lifetime / 10)

/** True when `grant` may still be sent at `now`. */
export const isUsable = <TUser extends SessionUser>(
  grant: Grant<TUser> | null,
  now: number,
): grant is Grant<TUser> => grant !== null && now < grant.expiresAt - skewOf(grant)

/** True when `grant` should be refreshed at `now` (inside its margin, or expired). */
export const isDue = (grant: Grant, refreshMargin: number, now: number): boolean =>
  now >= grant.expiresAt - marginOf(grant, refreshMargin)

/**
 * When to refresh `grant` proactively: its margin before expiry, minus a jitter of up to a tenth
 * of the margin (at most 1 s), so the tabs of many devices do not all refresh at once.
 * `random` is a number in [0, 1).
 */
export const nextRefreshAt = (grant: Grant, refreshMargin: number, random: number): number => {
  const margin = marginOf(grant, refreshMargin)
  return grant.expiresAt - margin - random * Math.min(1_000, margin / 10)
}
