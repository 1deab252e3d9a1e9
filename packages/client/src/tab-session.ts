/**
 * @module
 * This tab's token and the store that mirrors it: adopting a grant (here or from a peer), ending
 * the session, expiring the token; and this tab's activity, as the BFF's idle timeout counts it.
 * The access token lives in this closure only, never in the store.
 */
import type { BaseUser } from '@baton/protocol'
import {
  SessionExpiredError,
  type AnyBatonError,
  type RefreshNetworkError,
  type SessionEndReason,
} from './errors.js'
import { idleCheck, isUsable, nextRefreshAt, type Grant } from './grant.js'
import type { ClientConfig } from './options.js'
import type { createRefreshSchedule } from './refresh-schedule.js'
import type { SessionStore } from './store.js'

const sameJson = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b)

/** @internal */
export function createTabSession<TUser extends BaseUser>(
  config: Pick<ClientConfig, 'now' | 'onEvent' | 'refreshMargin'>,
  store: SessionStore<TUser>,
  schedule: ReturnType<typeof createRefreshSchedule>,
) {
  const { now, onEvent: emit } = config
  let current: Grant<TUser> | null = null
  let lastNetworkError: RefreshNetworkError | null = null
  /** Why a peer said this session ended, which the BFF has not answered yet (`expire`). */
  let endedByPeer: SessionEndReason | null = null
  /** Sessions known to be over; a late grant of one of them must not bring it back. */
  const ended = new Set<string>()
  const status = () => store.getState().status
  // Keep-alive is not activity (issue 12, M5; ASVS 7.3.1): the BFF extends the idle deadline only
  // for refreshes that say the user was there. This tab's activity is its requests and its start;
  // `active` while no refresh (or sign-in) has told the BFF of it yet.
  let active = false
  /** When to ask the BFF whether the idle session is over, if this tab was idle and it is near. */
  const idleCheckAt = () =>
    current && !active ? idleCheck(current, config.refreshMargin, now()) : null

  return {
    /** This tab's grant, usable or not. */
    get current() {
      return current
    },
    /** This tab's grant if it may be sent now. */
    usable: (): Grant<TUser> | null => (isUsable(current, now()) ? current : null),
    status,
    /** Why a peer said this session ended, until a grant says it goes on. */
    get endedByPeer() {
      return endedByPeer
    },
    /** The last refresh failure on the network since the last grant, if any. */
    get lastNetworkError() {
      return lastNetworkError
    },

    /** Takes `grant` as this tab's token; false when it is stale or its session is over. */
    adopt: (grant: Grant<TUser>, source: 'local' | 'peer'): boolean => {
      if (ended.has(grant.sessionId)) return false
      // Our own grants are the newest by construction (we held the lock); a peer's may be stale.
      if (
        source === 'peer' &&
        current &&
        (grant.issuedAt < current.issuedAt || grant.accessToken === current.accessToken)
      ) {
        return false
      }
      const wasSignedIn = status() === 'authenticated'
      const previousUser = store.getState().user
      current = grant
      lastNetworkError = null
      endedByPeer = null
      schedule.succeeded()
      schedule.at(nextRefreshAt(grant, config.refreshMargin, Math.random()))
      store.update({
        status: 'authenticated',
        // Keep the old object when nothing changed, so selectors reading `user` do not re-render.
        user: previousUser && sameJson(previousUser, grant.user) ? previousUser : grant.user,
        sessionId: grant.sessionId,
        expiresAt: grant.expiresAt,
        tokenLifetime: grant.lifetime,
        error: null,
        endReason: null,
      })
      if (!wasSignedIn) emit({ type: 'signed_in', source })
      return true
    },

    /** Ends the session in this tab; `error: null` for a visitor who never had one. */
    end: (error: AnyBatonError | null, source: 'local' | 'peer') => {
      if (current) ended.add(current.sessionId)
      current = null
      // What the user did in a signed-out tab is not activity of the session signed in next.
      active = false
      schedule.cancel()
      const wasEnded = status() === 'unauthenticated'
      const endReason = error instanceof SessionExpiredError ? error.reason : null
      // A sign-out the user asked for and the BFF confirmed is no failure: only its reason stays.
      const confirmedSignOut = endReason === 'logged_out' && error?.cause === undefined
      store.update({
        status: 'unauthenticated',
        user: null,
        sessionId: null,
        expiresAt: null,
        tokenLifetime: null,
        error: confirmedSignOut ? null : error,
        endReason,
        // No step-up is pending without a session: the requests that waited for one are rejected.
        stepUp: null,
      })
      if (!wasEnded && error)
        emit({ type: 'signed_out', source, reason: endReason ?? 'no_session' })
    },

    /** Back to `loading`: a late start found a session that `start()` had said was not there. */
    reopen: () => store.update({ status: 'loading' }),

    /** What a request for a token fails with while signed out: the failure, else the end's reason. */
    endedError: (): AnyBatonError => {
      const { error, endReason } = store.getState()
      return error ?? new SessionExpiredError(endReason ?? 'no_session')
    },

    /** A refresh failed on the network: the session goes on, and the store says why it waits. */
    failed(error: RefreshNetworkError) {
      lastNetworkError = error
      // A 429 (or 503) with Retry-After: the retry the coordinator schedules next waits for it.
      if (error.retryAfter !== undefined) schedule.deferUntil(now() + error.retryAfter * 1000)
      store.update({ error })
    },

    /** Remembers that another session is over (a peer's), so its late grants are ignored. */
    endedElsewhere: (sessionId: string) => void ended.add(sessionId),
    /** A new sign-in may bring a session id back (never in practice: ids are random). */
    revive: (sessionId: string) => void ended.delete(sessionId),

    /**
     * Makes this tab's token unusable now; the next request refreshes. `endedBy`: a peer said the
     * session ended, for that reason, and the next refresh asks the BFF.
     */
    expire: (endedBy?: SessionEndReason) => {
      if (!current) return
      // A specific reason is kept over `no_session`, which a tab opened since (never signed in)
      // reports of its own start: it says nothing of why this session ended.
      if (endedBy && (endedByPeer ?? 'no_session') === 'no_session') endedByPeer = endedBy
      current = { ...current, expiresAt: now() }
      store.update({ expiresAt: current.expiresAt })
    },

    /**
     * The user did something (a request, a start). True when an idle tab's timer is waiting for
     * the idle deadline, which this activity must now beat.
     */
    touch(): boolean {
      const idle = idleCheckAt()
      active = true
      return idle !== null
    },
    idleCheckAt,
    /** Whether the next refresh tells the BFF the user was active; set false once one is sent. */
    get active() {
      return active
    },
    set active(value: boolean) {
      active = value
    },

    /** Forgets the token (destroy). */
    clear() {
      current = null
    },
  }
}

/** @internal */
export type TabSession<TUser extends BaseUser> = ReturnType<typeof createTabSession<TUser>>
