/**
 * @module
 * The tab protocol on the receiving side: a strict parser for what arrives on the channel (another
 * version of Baton, another script on the origin, or a bug must not reach the state machine), and
 * the refreshes running in other tabs, each forgotten after a deadline in case its tab died.
 */
import {
  SESSION_END_CODES,
  type SessionUser,
  type TabEndReason,
  type TabGrant,
  type TabMessage,
} from '@baton/protocol'
import { isSessionUser } from './grant.js'
import { clearTimer, setTimer } from './timers.js'

/** @internal Every reason an `ended` message may carry. */
export const END_REASONS = [
  ...SESSION_END_CODES,
  'logged_out',
] as const satisfies readonly TabEndReason[]

type Raw = Record<string, unknown>

const isId = (value: unknown): value is string => typeof value === 'string' && value !== ''
const isTime = (value: unknown): value is number => Number.isFinite(value)

function parseTabGrant(raw: unknown): TabGrant | null {
  const { accessToken, expiresAt, lifetime, issuedAt, user, sessionId } = (raw ?? {}) as Raw
  if (!isId(accessToken) || !isId(sessionId) || !isSessionUser(user)) return null
  if (!isTime(expiresAt) || !isTime(issuedAt) || !isTime(lifetime) || lifetime <= 0) return null
  return { accessToken, expiresAt, lifetime, issuedAt, user, sessionId }
}

/**
 * What another tab said, checked field by field and copied (unknown fields left behind); `null`
 * for anything else. Never throws.
 */
export function parseTabMessage<TUser extends SessionUser = SessionUser>(
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
        const parsed: TabMessage =
          refreshId === undefined ? { type, grant } : { type, grant, refreshId }
        return parsed as TabMessage<TUser>
      }
      case 'refreshing':
      case 'logging_out':
      case 'refresh_failed':
        return isId(refreshId) ? { type, refreshId } : null
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
 */
export function createPeerRefreshes(options: {
  deadlineMs: number
  onExpire: () => void
  maxSize?: number
}) {
  const timers = new Map<string, ReturnType<typeof setTimeout>>()
  const maxSize = options.maxSize ?? 32

  const forget = (refreshId: string | undefined) => {
    if (refreshId === undefined) return
    clearTimer(timers.get(refreshId))
    timers.delete(refreshId)
  }

  return {
    get size() {
      return timers.size
    },
    add(refreshId: string) {
      forget(refreshId)
      if (timers.size >= maxSize) forget(timers.keys().next().value)
      const timer = setTimer(() => {
        timers.delete(refreshId)
        options.onExpire()
      }, options.deadlineMs)
      timers.set(refreshId, timer)
    },
    delete: forget,
    clear() {
      for (const timer of timers.values()) clearTimer(timer)
      timers.clear()
    },
  }
}

/** @internal */
export type PeerRefreshes = ReturnType<typeof createPeerRefreshes>
