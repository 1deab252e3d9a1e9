/**
 * @module
 * The tab protocol on the receiving side: a strict parser for what arrives on the channel (another
 * version of Baton, another script on the origin, or a bug must not reach the state machine), the
 * consistency checks a peer's grant must pass, and the refreshes running in other tabs, each
 * forgotten after a deadline in case its tab died, and all of them once announcements go on for
 * longer than any real refresh takes.
 *
 * Any script of the origin can post on the channel (issue 12, L3): what it says is a hint to be
 * checked, never an order. The coordinator verifies with the BFF what these checks cannot.
 */
import {
  SESSION_END_CODES,
  type BaseUser,
  type SessionUser,
  type TabEndReason,
  type TabGrant,
  type TabMessage,
} from '@baton/protocol'
import { isId, isSessionUser, isTime, type Grant } from './grant.js'
import { clearTimer, setTimer } from './timers.js'

/** @internal Every reason an `ended` message may carry. */
export const END_REASONS = [
  ...SESSION_END_CODES,
  'logged_out',
] as const satisfies readonly TabEndReason[]

type Raw = Record<string, unknown>

/**
 * The longest `Retry-After` (seconds) a peer's `refresh_failed` is believed for: the BFF's refresh
 * budget is per minute, and a forged one must not hold every tab's refreshes longer.
 */
const MAX_RETRY_AFTER = 60

/** True when `JSON.stringify` can write `value`: not a cyclic object, nor a BigInt. */
const isJson = (value: unknown) => {
  try {
    return JSON.stringify(value) !== undefined
  } catch {
    return false
  }
}

function parseTabGrant(raw: unknown): TabGrant | null {
  const { accessToken, expiresAt, lifetime, issuedAt, idleExpiresAt, user, sessionId } = (raw ??
    {}) as Raw
  if (!isId(accessToken) || !isId(sessionId) || !isSessionUser(user)) return null
  // The BFF's user is JSON; structured clone also carries cycles and BigInts, which no BFF sent.
  if (!isJson(user)) return null
  if (!isTime(expiresAt) || !isTime(issuedAt) || !isTime(lifetime) || lifetime <= 0) return null
  const grant: TabGrant = { accessToken, expiresAt, lifetime, issuedAt, user, sessionId }
  if (isTime(idleExpiresAt)) grant.idleExpiresAt = idleExpiresAt
  else if (idleExpiresAt !== undefined) return null
  return grant
}

/**
 * Whether a peer's grant is consistent with its own token, whose payload is read without
 * verifying it (the API verifies the signature; this only keeps a forged message from steering
 * the tab): the token names the grant's session (`sid`), and the grant's expiry on this device
 * is ahead of `now`, issued no later than `now`, and no further out than the token's own lifetime
 * (`exp - iat`). A grant failing them is ignored.
 */
export function isPlausibleGrant(grant: Grant, now: number): boolean {
  try {
    const part = grant.accessToken.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')
    const { sid, exp, iat } = JSON.parse(atob(part)) as Raw
    return (
      sid === grant.sessionId &&
      isTime(exp) &&
      isTime(iat) &&
      grant.issuedAt <= now &&
      now < grant.expiresAt &&
      grant.expiresAt <= grant.issuedAt + grant.lifetime &&
      grant.lifetime <= (exp - iat) * 1000
    )
  } catch {
    // Not a JWT: not a token the BFF minted.
    return false
  }
}

/**
 * What another tab said, checked field by field and copied (unknown fields left behind); `null`
 * for anything else. Never throws.
 */
export function parseTabMessage<TUser extends BaseUser = SessionUser>(
  raw: unknown,
): TabMessage<TUser> | null {
  try {
    const message = raw as Raw
    // Every type is handled: one added to the protocol is a compile error in `default`.
    const type = message.type as TabMessage['type']
    const { refreshId, sessionId } = message
    switch (type) {
      case 'hello':
        return { type }
      case 'grant': {
        const grant = parseTabGrant(message.grant)
        if (grant === null || (refreshId !== undefined && !isId(refreshId))) return null
        // The user's claims beyond `id` are the sending tab's word, as they were the BFF's to it.
        const parsed: TabMessage<BaseUser> =
          refreshId === undefined ? { type, grant } : { type, grant, refreshId }
        return parsed as TabMessage<TUser>
      }
      case 'refreshing':
      case 'logging_out':
        return isId(refreshId) ? { type, refreshId } : null
      case 'refresh_failed': {
        if (!isId(refreshId)) return null
        // Bounded: a forged one would stop every tab's refreshes for as long as it says. Out of
        // bounds it is left out, not the message: the peer's refresh is over all the same.
        const { retryAfter } = message
        return isTime(retryAfter) && retryAfter >= 0 && retryAfter <= MAX_RETRY_AFTER
          ? { type, refreshId, retryAfter }
          : { type, refreshId }
      }
      case 'ended': {
        const reason = message.reason as TabEndReason
        if ((sessionId !== null && !isId(sessionId)) || !END_REASONS.includes(reason)) return null
        return { type, sessionId, reason }
      }
      default: {
        const _unknown: never = type
        void _unknown
        return null
      }
    }
  } catch {
    // `raw` is null, or an object whose getters throw (an injected channel may deliver anything).
    return null
  }
}

/**
 * Refreshes (and logouts) announced by other tabs and not yet reported on. Each is forgotten after
 * `deadlineMs` (its tab may have closed), which calls `onExpire`. At most `maxSize` are kept, the
 * oldest dropped first, so a peer that announces without end cannot grow it.
 *
 * Tabs refresh one at a time (the lock), each reporting within its own deadline, so
 * announcements that keep the set busy for longer than `deadlineMs` are not worth waiting for (a
 * script posting `refreshing` every second): from then on `busy()` is false until the set is
 * empty again, and waiting requests go out (`onExpire` is called when that happens). A stream of
 * forged announcements delays a request by at most `deadlineMs`, once.
 */
export function createPeerRefreshes(options: {
  deadlineMs: number
  /** How long a peer's refresh may really take (`deadlineMs` by default): see `unreported()`. */
  lifetimeMs?: number
  onExpire: () => void
  now: () => number
  maxSize?: number
}) {
  const timers = new Map<string, ReturnType<typeof setTimeout>>()
  const maxSize = options.maxSize ?? 32
  const lifetimeMs = options.lifetimeMs ?? options.deadlineMs
  /** When each refresh not reported on was announced, kept past `deadlineMs`. */
  const announced = new Map<string, number>()
  // When the set last became non-empty, and the timer that ends the trust in it.
  let since = 0
  let patience: ReturnType<typeof setTimeout> | undefined

  const forget = (refreshId: string | undefined) => {
    if (refreshId === undefined) return
    clearTimer(timers.get(refreshId))
    timers.delete(refreshId)
    if (timers.size === 0) clearTimer(patience)
  }

  return {
    get size() {
      return timers.size
    },
    /** True while a peer is believed to be refreshing (or signing out). */
    busy: () => timers.size > 0 && options.now() - since < options.deadlineMs,
    /** When `busy()` turns false at the latest, unless the set empties and new ones come. */
    busyUntil: () => since + options.deadlineMs,
    /**
     * The refreshes announced less than `lifetimeMs` ago that have not reported. One that outlasts
     * `deadlineMs` (a slow BFF) is still being made: a tab that gets the lock after it waits for
     * its result, which may reach it after the lock does.
     */
    unreported: () =>
      [...announced].flatMap(([id, at]) => (options.now() - at < lifetimeMs ? [id] : [])),
    add(refreshId: string) {
      announced.delete(refreshId)
      announced.set(refreshId, options.now())
      if (announced.size > maxSize) announced.delete(announced.keys().next().value!)
      if (timers.size === 0) {
        since = options.now()
        patience = setTimer(options.onExpire, options.deadlineMs)
      }
      // Announced again: a new deadline for it, but the set stays as busy as it was since `since`.
      clearTimer(timers.get(refreshId))
      timers.delete(refreshId)
      if (timers.size >= maxSize) forget(timers.keys().next().value)
      const timer = setTimer(() => {
        forget(refreshId)
        options.onExpire()
      }, options.deadlineMs)
      timers.set(refreshId, timer)
    },
    delete(refreshId: string | undefined) {
      forget(refreshId)
      if (refreshId !== undefined) announced.delete(refreshId)
    },
    clear() {
      for (const id of [...timers.keys()]) forget(id)
      announced.clear()
    },
  }
}

/** @internal */
export type PeerRefreshes = ReturnType<typeof createPeerRefreshes>
