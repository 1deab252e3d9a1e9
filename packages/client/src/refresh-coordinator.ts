/**
 * @module
 * One refresh for all tabs: the state machine. This tab's access token lives here, in a closure.
 * The coordinator
 * - takes the cross-tab lock around every call that rotates the refresh cookie (refresh, login,
 *   logout), so at most one is in flight per origin, and re-checks after waiting for the lock
 *   whether a peer already brought a fresher token (the refresh itself and what its outcome does:
 *   `coordinated-refresh.ts`);
 * - announces refreshes and broadcasts their results, so every tab queues its requests while a
 *   refresh runs anywhere and releases them with the new token;
 * - hands its token to a tab that starts while it is signed in, so that tab needs no refresh;
 * - never signs out on a network failure: it backs off and retries, and retries at once when the
 *   tab wakes or comes back online;
 * - tells the BFF with each refresh whether the user was active (requests, a start) since the
 *   last one that did, and stops refreshing an idle tab near the idle deadline, so an unused
 *   session ends on time in every tab (ASVS 7.3.1);
 * - never refreshes while a sign-out of this browser is unconfirmed (`sign-out.ts`), and believes
 *   other tabs only as far as `tab-listener.ts` checks them.
 */
import type { LoginBody, BaseUser, TabMessage } from '@baton/protocol'
import type { ChannelAdapter } from './adapters/channel.js'
import { connectTab, type TabConnection } from './adapters/connect.js'
import { processLock } from './adapters/lock.js'
import type { AuthApi, AuthOutcome } from './auth-api.js'
import { createBoot } from './boot.js'
import { createChangeSignal } from './change-signal.js'
import { createCoordinatedRefresh } from './coordinated-refresh.js'
import { destroyedError, RefreshNetworkError } from './errors.js'
import { isDue, nextRefreshAt } from './grant.js'
import type { ClientConfig } from './options.js'
import { createRequestQueue } from './queue.js'
import { createRefreshSchedule } from './refresh-schedule.js'
import { createPendingLogout, createSignOut } from './sign-out.js'
import type { SessionStore } from './store.js'
import { createTabListener } from './tab-listener.js'
import { createPeerRefreshes } from './tab-messages.js'
import { createTabSession } from './tab-session.js'

/** @internal */
export function createRefreshCoordinator<TUser extends BaseUser>(
  config: ClientConfig,
  auth: AuthApi<TUser>,
  store: SessionStore<TUser>,
) {
  const { adapters, now, onEvent: emit } = config
  const lockName = `${config.channel}:refresh`

  let tab: TabConnection | null = null
  let started: Promise<void> | null = null
  let destroyed = false
  const lifetime = new AbortController()
  const changes = createChangeSignal()
  const pending = createPendingLogout(config)

  // A peer bounds its own call by requestTimeout; past that it is gone (tab closed). Waiting for
  // a peer only spares a request a 401 (the lock, not the announcement, keeps refreshes apart), so
  // it is never worth more than a few seconds: a forged announcement must not hold requests until
  // ky's own 10 s timeout (issue 12, L3).
  const peers = createPeerRefreshes({
    deadlineMs: Math.min(config.requestTimeout + 1_000, 3_000),
    lifetimeMs: config.requestTimeout + 1_000,
    onExpire: () => settle(),
    now,
  })

  const queue = createRequestQueue({
    maxSize: config.maxQueue,
    timeout: config.queueTimeout,
    timeoutError: () =>
      new RefreshNetworkError('No token in time.', {
        cause: session.lastNetworkError ?? undefined,
      }),
    onQueued: (waiting) => emit({ type: 'queued', waiting }),
    onReleased: (count) => emit({ type: 'released', count }),
  })

  const schedule = createRefreshSchedule({
    initialDelay: config.retryInitial,
    maxDelay: config.retryMax,
    now,
    onFire: (trigger) => {
      if (trigger === 'scheduled') {
        // A peer is on it: its grant re-arms this timer. Without one (it failed, its tab closed, a
        // forged announcement), this tab looks again once the peer is no longer waited for.
        if (peers.busy()) return schedule.at(peers.busyUntil())
        // Idle since the last refresh that counted, and the idle deadline is near: no keep-alive
        // (issue 12, M5). Past the deadline, one refresh confirms the end, for every tab.
        const check = session.idleCheckAt()
        if (check !== null && now() < check) return schedule.at(check)
      }
      void refresh(trigger)
    },
  })

  const session = createTabSession(config, store, schedule)
  const { adopt, status } = session
  const refreshingAnywhere = () => coordinated.busy() || peers.busy()
  // This tab could hand a starting tab its session, or will once its refresh lands (backing off
  // without a token, it has nothing to hand over before its retry: nobody need ask it and wait).
  const answering = () =>
    coordinated.refreshing() !== null ||
    (session.current !== null &&
      status() === 'authenticated' &&
      (!schedule.failing || session.usable() !== null))
  const post = (message: TabMessage<TUser>) => tab?.channel.post(message)
  // Every caller connects the tab first (`start()`, or a sign-out's `connect()`): the browser's
  // lock then, so a refresh in another tab and this call never overlap.
  // destroy() withdraws the requests still waiting (a frozen tab may hold the lock for seconds):
  // their callers reject at once, and one granted anyway (an adapter that ignores the signal) runs
  // nothing for a client that is gone.
  const gone = () => Promise.reject(destroyedError())
  // Settles only by destroy(): every call still waiting for the lock rejects then.
  const ended = new Promise<never>((_, reject) =>
    lifetime.signal.addEventListener('abort', () => reject(destroyedError())),
  )
  ended.catch(() => {})
  const withLock = <R>(fn: () => Promise<R>) =>
    destroyed
      ? gone()
      : Promise.race([
          (tab?.lock ?? adapters.lock ?? processLock)(
            lockName,
            config.requestTimeout * 2,
            () => (destroyed ? gone() : fn()),
            lifetime.signal,
          ),
          ended,
        ])

  /** Lets queued requests go, or fails them, once nothing is in flight any more. */
  const settle = () => {
    changes.notify()
    if (destroyed) return
    tab?.presence.set(answering())
    if (status() === 'unauthenticated') return queue.rejectAll(session.endedError())
    if (boot.booting || refreshingAnywhere()) return
    const usable = session.usable()
    if (usable) return queue.release(usable.accessToken)
    // The token is gone or expired and nobody is refreshing: requests are waiting for one. After a
    // network failure the backoff timer owns the next attempt.
    if (queue.size > 0 && !schedule.failing && status() === 'authenticated') void refresh('expired')
  }

  const coordinated = createCoordinatedRefresh<TUser>({
    auth,
    pending,
    session,
    withLock,
    post,
    settle,
    schedule,
    peers,
    changes,
    emit,
    now,
    tab: () => tab,
    destroyed: () => destroyed,
  })
  const { refresh } = coordinated

  const signOut = createSignOut({ auth, pending, session, withLock, post, settle })
  const listen = createTabListener<TUser>({
    session,
    peers,
    post,
    emit,
    now,
    refresh,
    auth,
    schedule,
    signedOutHere: pending.signedOutHere,
    refreshing: coordinated.refreshing,
  })
  const onMessage = (raw: unknown) => {
    if (!destroyed && listen(raw)) settle()
  }

  const onWake = () => {
    if (destroyed || boot.booting || status() === 'unauthenticated') return
    const { current } = session
    if (schedule.failing || !current || isDue(current, config.refreshMargin, now())) {
      void refresh(current ? 'wake' : 'retry')
    } else {
      // Re-arm: the old timer may have been throttled into uselessness while hidden (or the idle
      // deadline came meanwhile: then it fires at once).
      schedule.at(nextRefreshAt(current, config.refreshMargin, 0))
    }
  }

  /** Opens the tab's channel and lock once: at its start, or at a sign-out before one. */
  const connect = (opened?: ChannelAdapter | null): TabConnection => {
    if (!tab) return (tab = connectTab(config, { onMessage, onWake }, opened))
    opened?.close()
    return tab
  }

  const boot = createBoot<TUser>({
    config,
    session,
    pending,
    changes,
    connect,
    post,
    signOut,
    prepare: auth.prepare,
    refresh,
    settle,
    destroyed: () => destroyed,
  })

  /**
   * How `start()` began before this coordinator was built (`createSessionClient`): `late`, it found
   * no companion cookie and said so then; `asked`, it found one and asked the other tabs.
   */
  const start = (late?: boolean, asked?: ChannelAdapter | null): Promise<void> => {
    if (destroyed) return gone()
    started ??= boot.run(late, asked)
    return started
  }

  /** A usable token, from this tab or after the refresh in flight anywhere. */
  const token = async (signal?: AbortSignal | null): Promise<string> => {
    // Aborted already: its reason, as `fetch` rejects with, even with a token at hand.
    signal?.throwIfAborted()
    if (destroyed) throw destroyedError()
    void start()
    if (status() === 'unauthenticated') throw session.endedError()
    const usable = boot.booting || refreshingAnywhere() ? null : session.usable()
    if (usable) return usable.accessToken
    const waiting = queue.enqueue(signal)
    settle()
    return waiting
  }

  /** The user did something (a request): news for the BFF's idle timeout. */
  const touch = () => {
    // Near the idle deadline an idle tab waits for it instead of refreshing: this activity must
    // reach the BFF before then, so the refresh that says so goes now.
    if (session.touch() && !schedule.failing && status() === 'authenticated')
      void refresh('activity')
  }

  return {
    start,
    getAccessToken(signal?: AbortSignal | null): Promise<string> {
      touch()
      return token(signal)
    },
    invalidate: session.expire,
    /** What a request fails with once the tab is signed out. */
    endedError: session.endedError,
    /** This tab's grant, usable or not (the step-up reads its token's `auth_time`). */
    current: () => session.current,
    withLock,
    /** A grant got outside a refresh (a step-up): adopted and shared with every tab like one. */
    share(grant: Parameters<typeof adopt>[0]) {
      if (destroyed || !adopt(grant, 'local')) return
      post({ type: 'grant', grant })
      settle()
    },

    /** After a 401: the next token, from a peer's newer grant or a coordinated refresh. */
    async tokenAfterUnauthorized(used: string, signal?: AbortSignal | null): Promise<string> {
      if (destroyed) throw destroyedError()
      // The same request as before: its activity is counted once, by the refresh below.
      touch()
      // The API refused this token: it must not be handed out again, whatever its expiry says
      // (a failed refresh would release it to the waiters). Backing off, it waits for the retry
      // as every request does (`settle`): the API's 401 says nothing of a BFF that is down.
      if (session.current?.accessToken === used) {
        session.expire()
        if (!refreshingAnywhere() && !schedule.failing && status() === 'authenticated')
          void refresh('unauthorized', used)
      }
      return token(signal)
    },

    /** Signs in with a password, or with `send` (a second factor, a passkey: `mfa.ts`). */
    async login(credentials: LoginBody | (() => Promise<AuthOutcome<TUser>>)): Promise<TUser> {
      if (destroyed) throw destroyedError()
      void start()
      // Destroyed while this waited for the lock: nothing sent (a sign-in's new key would replace
      // the other tabs' one); for the answer: nothing adopted.
      const outcome = await withLock(async () => {
        if (destroyed) throw destroyedError()
        return typeof credentials === 'function' ? credentials() : auth.login(credentials)
      })
      if (destroyed) throw destroyedError()
      if (outcome.kind !== 'granted') throw outcome.error
      // The old refresh cookie is replaced (and its session ended by the BFF): a pending sign-out
      // has nothing left to end. A sign-in is activity.
      pending.clear()
      session.active = false
      session.revive(outcome.grant.sessionId)
      adopt(outcome.grant, 'local')
      post({ type: 'grant', grant: outcome.grant })
      settle()
      return outcome.grant.user
    },

    async logout(everywhere: boolean): Promise<void> {
      if (destroyed) throw destroyedError()
      // A sign-out page may call it first thing: the other tabs must hear of it all the same, and
      // it must wait for their refresh under the browser's lock. No start: that would refresh.
      connect()
      await signOut(everywhere)
    },

    destroy: () => {
      if (destroyed) return
      destroyed = true
      lifetime.abort()
      // Its outcome will never be posted: tabs waiting for it take over now, not at its deadline.
      const refreshId = coordinated.refreshing()
      if (refreshId !== null) post({ type: 'refresh_failed', refreshId })
      auth.abort()
      schedule.cancel()
      peers.clear()
      tab?.disconnect()
      session.clear()
      queue.rejectAll(destroyedError())
      changes.notify()
    },
  }
}

/** @internal */
export type RefreshCoordinator<TUser extends BaseUser> = ReturnType<
  typeof createRefreshCoordinator<TUser>
>
