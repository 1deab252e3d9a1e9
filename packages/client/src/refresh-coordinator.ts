/**
 * @module
 * One refresh for all tabs: the state machine. This tab's access token lives here, in a closure.
 * The coordinator
 * - takes the cross-tab lock around every call that rotates the refresh cookie (refresh, login,
 *   logout), so at most one is in flight per origin, and re-checks after waiting for the lock
 *   whether a peer already brought a fresher token;
 * - announces refreshes and broadcasts their results, so every tab queues its requests while a
 *   refresh runs anywhere and releases them with the new token;
 * - hands its token to a tab that starts while it is signed in, so that tab needs no refresh;
 * - never signs out on a network failure: it backs off and retries, and retries at once when the
 *   tab wakes or comes back online.
 */
import type { LoginBody, SessionUser, TabMessage } from '@baton/protocol'
import { connectTab, type TabConnection } from './adapters/connect.js'
import { processLock } from './adapters/lock.js'
import type { AuthApi } from './auth-api.js'
import { createChangeSignal } from './change-signal.js'
import { BatonError, RefreshNetworkError, SessionExpiredError } from './errors.js'
import type { RefreshTrigger } from './events.js'
import { isDue, marginOf } from './grant.js'
import type { ClientConfig } from './options.js'
import { createRequestQueue } from './queue.js'
import { createRefreshSchedule } from './refresh-schedule.js'
import { hasSessionHint } from './session-hint.js'
import type { SessionStore } from './store.js'
import { createPeerRefreshes, parseTabMessage } from './tab-messages.js'
import { createTabSession } from './tab-session.js'

/** @internal */
export function createRefreshCoordinator<TUser extends SessionUser>(
  config: ClientConfig,
  auth: AuthApi<TUser>,
  store: SessionStore<TUser>,
) {
  const { adapters, now, onEvent: emit } = config
  const lockName = `${config.channel}:refresh`
  const lockTimeout = config.requestTimeout * 2

  let tab: TabConnection | null = null
  let localRefresh: Promise<void> | null = null
  let localRefreshId: string | null = null
  let booting = false
  let started: Promise<void> | null = null
  let destroyed = false
  const changes = createChangeSignal()

  // A peer bounds its own call by requestTimeout; past that it is gone (tab closed).
  const peers = createPeerRefreshes({
    deadlineMs: config.requestTimeout + 1_000,
    onExpire: () => settle(),
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
      // A peer is already on it; its grant will arrive by message.
      if (peers.size > 0 && trigger === 'scheduled') return
      void refresh(trigger)
    },
  })

  const session = createTabSession(config, store, schedule)
  const { adopt, end, status } = session
  const refreshingAnywhere = () => localRefresh !== null || peers.size > 0
  const post = (message: TabMessage<TUser>) => tab?.channel.post(message)
  // Before start() (a logout first thing), the tab has no connection yet.
  const lock = () => tab?.lock ?? adapters.lock ?? processLock
  // Baton needs a secure context anyway (Web Locks, Secure cookies), where randomUUID exists.
  const newId = () => crypto.randomUUID()

  /** Lets queued requests go, or fails them, once nothing is in flight any more. */
  const settle = () => {
    changes.notify()
    if (destroyed) return
    if (status() === 'unauthenticated')
      return queue.rejectAll(store.getState().error ?? new SessionExpiredError('no_session'))
    if (booting || refreshingAnywhere()) return
    const usable = session.usable()
    if (usable) return queue.release(usable.accessToken)
    // The token is gone or expired and nobody is refreshing: requests are waiting for one. After a
    // network failure the backoff timer owns the next attempt.
    if (queue.size > 0 && !schedule.failing && status() === 'authenticated') void refresh('expired')
  }

  const onMessage = (raw: unknown) => {
    const message = destroyed ? null : parseTabMessage<TUser>(raw)
    if (message === null) return
    switch (message.type) {
      case 'hello': {
        const grant = session.usable()
        if (grant) post({ type: 'grant', grant })
        else if (localRefreshId) post({ type: 'refreshing', refreshId: localRefreshId })
        break
      }
      case 'refreshing':
      case 'logging_out':
        peers.add(message.refreshId)
        if (message.type === 'refreshing') emit({ type: 'refresh_start', source: 'peer' })
        break
      case 'grant':
        peers.delete(message.refreshId)
        if (message.refreshId !== undefined) emit({ type: 'refresh_end', source: 'peer', ok: true })
        if (adopt(message.grant, 'peer'))
          emit({ type: 'token_from_peer', expiresAt: message.grant.expiresAt })
        break
      case 'refresh_failed':
        peers.delete(message.refreshId)
        emit({ type: 'refresh_end', source: 'peer', ok: false, error: 'network_unavailable' })
        break
      case 'ended':
        // The session is over for everyone: no refresh of it is worth waiting for.
        peers.clear()
        if (session.current === null || session.current.sessionId === message.sessionId) {
          end(new SessionExpiredError(message.reason), 'peer')
        } else if (message.sessionId !== null) {
          session.endedElsewhere(message.sessionId)
        }
        break
    }
    settle()
  }

  const refreshUnderLock = async (trigger: RefreshTrigger, stale: string | null) => {
    const fresher = () => (session.usable()?.accessToken ?? stale) !== stale
    if (destroyed || fresher()) return
    // A peer that just released the lock posted its grant first, but the message may still be on
    // its way: give a refresh we know about a moment to report before spending the cookie again.
    const deadline = now() + 1_000
    while (peers.size > 0 && now() < deadline && !fresher()) await changes.next(deadline - now())
    if (destroyed || fresher() || status() === 'unauthenticated') return

    const refreshId = newId()
    localRefreshId = refreshId
    post({ type: 'refreshing', refreshId })
    emit({ type: 'refresh_start', source: 'local', trigger })
    const outcome = await auth.refresh()
    localRefreshId = null
    if (destroyed) return
    if (outcome.kind === 'granted') {
      adopt(outcome.grant, 'local')
      post({ type: 'grant', grant: outcome.grant, refreshId })
      emit({ type: 'refresh_end', source: 'local', ok: true })
      return
    }
    const sessionId = session.current?.sessionId ?? null
    // 'rejected' is a refusal for a reason other than the session (a CSRF or origin
    // misconfiguration): retrying cannot help, and pretending to be signed in would hide it.
    if (outcome.kind === 'network') session.failed(outcome.error)
    else end(outcome.error, 'local')
    post(
      outcome.kind === 'ended'
        ? { type: 'ended', sessionId, reason: outcome.error.reason }
        : { type: 'refresh_failed', refreshId },
    )
    const reason = outcome.kind === 'ended' ? outcome.error.reason : outcome.error.code
    emit({ type: 'refresh_end', source: 'local', ok: false, error: reason })
    if (outcome.kind === 'network') emit({ type: 'retry_scheduled', delay: schedule.backoff() })
  }

  /** Runs one coordinated refresh; concurrent callers in this tab share it. */
  const refresh = (trigger: RefreshTrigger, stale = session.current?.accessToken ?? null) => {
    if (destroyed) return Promise.resolve()
    localRefresh ??= lock()(lockName, lockTimeout, () => refreshUnderLock(trigger, stale))
      .catch((cause: unknown) => {
        // Only a broken lock gets here (the refresh itself never throws): treat it like the network.
        session.failed(new RefreshNetworkError('Refresh failed to run.', { cause }))
        schedule.backoff()
      })
      .finally(() => {
        localRefresh = null
        settle()
      })
    return localRefresh
  }

  const onWake = () => {
    if (destroyed || booting || status() === 'unauthenticated') return
    const { current } = session
    if (schedule.failing || !current || isDue(current, config.refreshMargin, now())) {
      void refresh(current ? 'wake' : 'retry')
    } else {
      // Re-arm: the old timer may have been throttled into uselessness while hidden.
      schedule.at(current.expiresAt - marginOf(current, config.refreshMargin))
    }
  }

  const boot = async () => {
    tab = connectTab(config, { onMessage, onWake })
    // No companion cookie, no refresh cookie (the BFF sets and clears them together), and no
    // signed-in peer either (it would have set them): nothing to ask, no 401 to provoke.
    if (hasSessionHint(config.cookies(), config.sessionHintCookie) === false) {
      end(null, 'local')
      return settle()
    }
    // Ask the other tabs first: one that is signed in answers with its token within milliseconds,
    // and this tab then needs no refresh of its own.
    booting = true
    if (tab.shared) {
      post({ type: 'hello' })
      const askedUntil = now() + config.peerTimeout
      const waitUntil = now() + config.requestTimeout
      while (!destroyed && session.current === null && status() === 'loading') {
        // A peer that is refreshing right now will broadcast the result: wait for it instead.
        const until = peers.size > 0 ? waitUntil : askedUntil
        if (now() >= until) break
        await changes.next(until - now())
      }
    }
    booting = false
    if (!destroyed && session.current === null && status() === 'loading')
      await refresh('start', null)
    settle()
  }

  const destroyedError = () => new BatonError('client_destroyed', 'Client destroyed.')

  const start = (): Promise<void> => {
    if (destroyed) return Promise.reject(destroyedError())
    started ??= boot()
    return started
  }

  const getAccessToken = async (signal?: AbortSignal | null): Promise<string> => {
    if (destroyed) throw destroyedError()
    void start()
    if (status() === 'unauthenticated')
      throw store.getState().error ?? new SessionExpiredError('no_session')
    const usable = booting || refreshingAnywhere() ? null : session.usable()
    if (usable) return usable.accessToken
    const waiting = queue.enqueue(signal)
    settle()
    return waiting
  }

  return {
    start,
    getAccessToken,
    invalidate: session.expire,

    /** After a 401: the next token, from a peer's newer grant or a coordinated refresh. */
    async tokenAfterUnauthorized(used: string, signal?: AbortSignal | null): Promise<string> {
      if (destroyed) throw destroyedError()
      // The API refused this token: it must not be handed out again, whatever its expiry says
      // (a refresh that fails on the network would otherwise release it to the waiters).
      if (session.current?.accessToken === used) {
        session.expire()
        if (!refreshingAnywhere() && status() === 'authenticated')
          void refresh('unauthorized', used)
      }
      return getAccessToken(signal)
    },

    async login(credentials: LoginBody): Promise<TUser> {
      if (destroyed) throw destroyedError()
      void start()
      const outcome = await lock()(lockName, lockTimeout, () => auth.login(credentials))
      if (outcome.kind !== 'granted') throw outcome.error
      session.revive(outcome.grant.sessionId)
      adopt(outcome.grant, 'local')
      post({ type: 'grant', grant: outcome.grant })
      settle()
      return outcome.grant.user
    },

    async logout(everywhere: boolean): Promise<void> {
      if (destroyed) throw destroyedError()
      const outcome = await lock()(lockName, lockTimeout, () => {
        // A peer's refresh queued behind this lock would otherwise go out with the cookie the
        // logout clears (401 no_session, the wrong reason): announced like a refresh, it makes
        // peers wait for the 'ended' below instead, even if that message lands after the lock.
        post({ type: 'logging_out', refreshId: newId() })
        return auth.logout(everywhere)
      })
      const sessionId = session.current?.sessionId ?? null
      // Signed out here whatever the BFF said: the user asked for it.
      end(new SessionExpiredError('logged_out'), 'local')
      post({ type: 'ended', sessionId, reason: 'logged_out' })
      settle()
      if (outcome.kind === 'network' || outcome.kind === 'rejected') throw outcome.error
    },

    destroy() {
      if (destroyed) return
      destroyed = true
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
export type RefreshCoordinator<TUser extends SessionUser> = ReturnType<
  typeof createRefreshCoordinator<TUser>
>
