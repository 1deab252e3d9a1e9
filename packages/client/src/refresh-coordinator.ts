/**
 * @module
 * One refresh for all tabs. This tab's access token lives here, in a closure. The coordinator
 * - takes the cross-tab lock around every call that rotates the refresh cookie (refresh, login,
 *   logout), so at most one is in flight per origin, and re-checks after waiting for the lock
 *   whether a peer already brought a fresher token;
 * - announces refreshes and broadcasts their results, so every tab queues its requests while a
 *   refresh runs anywhere and releases them with the new token;
 * - hands its token to a tab that starts while it is signed in, so that tab needs no refresh;
 * - never signs out on a network failure: it backs off and retries, and retries at once when the
 *   tab wakes or comes back online.
 */
import { webLocks, navigatorLock, processLock, type LockAdapter } from './adapters/lock.js'
import { broadcastChannel, isolatedChannel, type ChannelAdapter } from './adapters/channel.js'
import type { AuthApi, Grant } from './auth-api.js'
import {
  BatonError,
  RefreshNetworkError,
  SessionExpiredError,
  type SessionEndReason,
} from './errors.js'
import type { RefreshTrigger } from './events.js'
import type { ClientConfig } from './options.js'
import { createRequestQueue } from './queue.js'
import { createRefreshSchedule } from './refresh-schedule.js'
import type { createSessionStore, SessionUser } from './store.js'
import { clearTimer, setTimer } from './timers.js'
import { listenForWake } from './visibility.js'

/**
 * What tabs say to each other. The channel name carries the protocol version. BroadcastChannel
 * never delivers a message back to the tab that posted it, so messages carry no sender.
 */
type Message<TUser extends SessionUser> =
  | { type: 'hello' }
  | { type: 'grant'; grant: Grant<TUser>; refreshId?: string }
  | { type: 'refreshing'; refreshId: string }
  | { type: 'logging-out'; refreshId: string }
  | { type: 'refresh-failed'; refreshId: string }
  | { type: 'ended'; sessionId: string | null; reason: SessionEndReason }

const PROTOCOL = 'v1'

const randomId = () => Math.random().toString(36).slice(2, 12)

const sameJson = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b)

/** @internal */
export function createRefreshCoordinator<TUser extends SessionUser>(
  config: ClientConfig,
  auth: AuthApi<TUser>,
  store: ReturnType<typeof createSessionStore<TUser>>,
) {
  const lockName = `${config.channel}:refresh`
  const emit = config.onEvent

  let lock: LockAdapter = processLock
  let channel: ChannelAdapter = isolatedChannel()
  let current: Grant<TUser> | null = null
  let localRefresh: Promise<void> | null = null
  let localRefreshId: string | null = null
  let lastNetworkError: RefreshNetworkError | null = null
  let booting = false
  let started: Promise<void> | null = null
  let destroyed = false
  let stopWakeListeners = () => {}
  let unsubscribeChannel = () => {}
  /** Refreshes running in other tabs, each forgotten after a deadline in case that tab died. */
  const peerRefreshes = new Map<string, ReturnType<typeof setTimeout>>()
  /** Sessions known to be over; a late grant of one of them must not bring it back. */
  const endedSessions = new Set<string>()
  /** Resolvers waiting for "something changed" (a grant, a peer's news, the end). */
  let changeWaiters: Array<() => void> = []

  const queue = createRequestQueue({
    maxSize: config.maxQueue,
    timeout: config.queueTimeout,
    timeoutError: () =>
      new RefreshNetworkError('No token in time.', {
        cause: lastNetworkError ?? undefined,
      }),
    onQueued: (waiting) => emit({ type: 'queued', waiting }),
    onReleased: (count) => emit({ type: 'released', count }),
  })

  const schedule = createRefreshSchedule({
    initialDelay: config.retryInitial,
    maxDelay: config.retryMax,
    onFire: (trigger) => {
      // A peer is already on it; its grant will arrive by message.
      if (peerRefreshes.size > 0 && trigger === 'scheduled') return
      void refresh(trigger)
    },
  })

  // Refresh this long before expiry: the configured margin, at most half the lifetime.
  const marginOf = (grant: Grant) => Math.min(config.refreshMargin, grant.lifetime / 2)
  // A token this close to expiry is not sent: it could expire on the way.
  const skewOf = (grant: Grant) => Math.min(1_000, grant.lifetime / 10)
  const usable = (grant: Grant | null): grant is Grant<TUser> =>
    grant !== null && Date.now() < grant.expiresAt - skewOf(grant)
  const refreshingAnywhere = () => localRefresh !== null || peerRefreshes.size > 0

  const post = (message: Message<TUser>) => channel.post(message)
  const status = () => store.getState().status

  const notifyChange = () => {
    const waiting = changeWaiters
    changeWaiters = []
    for (const resolve of waiting) resolve()
  }
  const nextChange = (timeoutMs: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimer(resolve, timeoutMs)
      changeWaiters.push(() => {
        clearTimer(timer)
        resolve()
      })
    })

  /** Lets queued requests go, or fails them, once nothing is in flight any more. */
  const settle = () => {
    notifyChange()
    if (destroyed) return
    const { error } = store.getState()
    if (status() === 'unauthenticated')
      return queue.rejectAll(error ?? new SessionExpiredError('no_session'))
    if (booting || refreshingAnywhere()) return
    if (usable(current)) return queue.release(current.accessToken)
    // The token is gone or expired and nobody is refreshing: requests are waiting for one. After a
    // network failure the backoff timer owns the next attempt.
    if (queue.size > 0 && !schedule.failing && status() === 'authenticated') void refresh('expired')
  }

  const adopt = (grant: Grant<TUser>, source: 'local' | 'peer'): boolean => {
    if (endedSessions.has(grant.sessionId)) return false
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
    schedule.succeeded()
    schedule.at(
      grant.expiresAt - marginOf(grant) - Math.random() * Math.min(1_000, marginOf(grant) / 10),
    )
    store.update({
      status: 'authenticated',
      // Keep the old object when nothing changed, so selectors reading `user` do not re-render.
      user: previousUser && sameJson(previousUser, grant.user) ? previousUser : grant.user,
      sessionId: grant.sessionId,
      expiresAt: grant.expiresAt,
      error: null,
    })
    if (!wasSignedIn) emit({ type: 'signed-in', source })
    return true
  }

  const end = (error: BatonError, source: 'local' | 'peer') => {
    if (current) endedSessions.add(current.sessionId)
    current = null
    schedule.cancel()
    const wasEnded = status() === 'unauthenticated'
    store.update({ status: 'unauthenticated', user: null, sessionId: null, expiresAt: null, error })
    const reason = error instanceof SessionExpiredError ? error.reason : 'no_session'
    if (!wasEnded) emit({ type: 'signed-out', source, reason })
  }

  const forgetPeerRefresh = (refreshId: string | undefined) => {
    if (refreshId === undefined) return
    clearTimer(peerRefreshes.get(refreshId))
    peerRefreshes.delete(refreshId)
  }

  const onMessage = (raw: unknown) => {
    if (destroyed || typeof raw !== 'object' || raw === null) return
    const message = raw as Message<TUser>
    switch (message.type) {
      case 'hello':
        if (usable(current)) post({ type: 'grant', grant: current })
        else if (localRefreshId) post({ type: 'refreshing', refreshId: localRefreshId })
        break
      case 'refreshing':
      case 'logging-out': {
        forgetPeerRefresh(message.refreshId)
        // The peer bounds its own call by requestTimeout; past that it is gone (tab closed).
        const timer = setTimer(() => {
          peerRefreshes.delete(message.refreshId)
          settle()
        }, config.requestTimeout + 1_000)
        peerRefreshes.set(message.refreshId, timer)
        if (message.type === 'refreshing') emit({ type: 'refresh-start', source: 'peer' })
        break
      }
      case 'grant':
        forgetPeerRefresh(message.refreshId)
        if (message.refreshId !== undefined) emit({ type: 'refresh-end', source: 'peer', ok: true })
        if (adopt(message.grant, 'peer'))
          emit({ type: 'token-from-peer', expiresAt: message.grant.expiresAt })
        break
      case 'refresh-failed':
        forgetPeerRefresh(message.refreshId)
        emit({ type: 'refresh-end', source: 'peer', ok: false, error: 'network_unavailable' })
        break
      case 'ended':
        // The session is over for everyone: no refresh of it is worth waiting for.
        for (const id of [...peerRefreshes.keys()]) forgetPeerRefresh(id)
        if (current === null || current.sessionId === message.sessionId) {
          end(new SessionExpiredError(message.reason), 'peer')
        } else if (message.sessionId !== null) {
          endedSessions.add(message.sessionId)
        }
        break
      default:
        return
    }
    settle()
  }

  const refreshUnderLock = async (trigger: RefreshTrigger, stale: string | null) => {
    const fresher = () => usable(current) && current.accessToken !== stale
    if (destroyed || fresher()) return
    // A peer that just released the lock posted its grant first, but the message may still be on
    // its way: give a refresh we know about a moment to report before spending the cookie again.
    const deadline = Date.now() + 1_000
    while (peerRefreshes.size > 0 && Date.now() < deadline && !fresher()) {
      await nextChange(deadline - Date.now())
    }
    if (destroyed || fresher() || status() === 'unauthenticated') return

    const refreshId = randomId()
    localRefreshId = refreshId
    post({ type: 'refreshing', refreshId })
    emit({ type: 'refresh-start', source: 'local', trigger })
    const outcome = await auth.refresh()
    localRefreshId = null
    if (destroyed) return
    if (outcome.kind === 'granted') {
      adopt(outcome.grant, 'local')
      post({ type: 'grant', grant: outcome.grant, refreshId })
      emit({ type: 'refresh-end', source: 'local', ok: true })
      return
    }
    const { error } = outcome
    if (outcome.kind === 'ended') {
      const sessionId = current?.sessionId ?? null
      end(error, 'local')
      post({ type: 'ended', sessionId, reason: outcome.error.reason })
    } else {
      post({ type: 'refresh-failed', refreshId })
      if (outcome.kind === 'rejected') {
        // Refused for a reason other than the session (a CSRF or origin misconfiguration):
        // retrying cannot help, and pretending to be signed in would hide it.
        end(error, 'local')
      } else {
        lastNetworkError = outcome.error
        store.update({ error })
      }
    }
    emit({
      type: 'refresh-end',
      source: 'local',
      ok: false,
      error: outcome.kind === 'ended' ? outcome.error.reason : error.code,
    })
    if (outcome.kind === 'network') emit({ type: 'retry-scheduled', delay: schedule.backoff() })
  }

  /** Runs one coordinated refresh; concurrent callers in this tab share it. */
  const refresh = (
    trigger: RefreshTrigger,
    stale: string | null = current?.accessToken ?? null,
  ) => {
    if (destroyed) return Promise.resolve()
    localRefresh ??= lock(lockName, config.requestTimeout * 2, () =>
      refreshUnderLock(trigger, stale),
    )
      .catch((cause: unknown) => {
        // Only a broken lock gets here (the refresh itself never throws): treat it like the network.
        lastNetworkError = new RefreshNetworkError('Refresh failed to run.', { cause })
        schedule.backoff()
      })
      .finally(() => {
        localRefresh = null
        settle()
      })
    return localRefresh
  }

  const onWake = () => {
    if (destroyed || booting) return
    const state = store.getState()
    if (state.status === 'unauthenticated') return
    if (schedule.failing || !current || Date.now() >= current.expiresAt - marginOf(current)) {
      void refresh(current ? 'wake' : 'retry')
    } else {
      // Re-arm: the old timer may have been throttled into uselessness while hidden.
      schedule.at(current.expiresAt - marginOf(current))
    }
  }

  const boot = async () => {
    const channelAdapter = broadcastChannel(`${config.channel}:${PROTOCOL}`)
    if (channelAdapter) {
      channel = channelAdapter
    } else {
      config.logger.debug('[baton] No BroadcastChannel: this tab shares no tokens or sign-outs.')
    }
    if (webLocks()) {
      lock = navigatorLock
    } else {
      config.logger.debug('[baton] No Web Locks: refreshes are serialised in this tab only.')
    }
    unsubscribeChannel = channel.subscribe(onMessage)
    stopWakeListeners = listenForWake(onWake)

    // Ask the other tabs first: one that is signed in answers with its token within milliseconds,
    // and this tab then needs no refresh of its own.
    booting = true
    if (channelAdapter) {
      post({ type: 'hello' })
      const askedUntil = Date.now() + config.peerTimeout
      const waitUntil = Date.now() + config.requestTimeout
      while (!destroyed && current === null && status() === 'loading') {
        const now = Date.now()
        // A peer that is refreshing right now will broadcast the result: wait for it instead.
        const until = peerRefreshes.size > 0 ? waitUntil : askedUntil
        if (now >= until) break
        await nextChange(until - now)
      }
    }
    booting = false
    if (!destroyed && current === null && status() === 'loading') await refresh('start', null)
    settle()
  }

  const destroyedError = () => new BatonError('client_destroyed', 'Client destroyed.')

  const getAccessToken = async (signal?: AbortSignal | null): Promise<string> => {
    if (destroyed) throw destroyedError()
    void start()
    const { error } = store.getState()
    if (status() === 'unauthenticated') throw error ?? new SessionExpiredError('no_session')
    if (!booting && !refreshingAnywhere() && usable(current)) return current.accessToken
    const waiting = queue.enqueue(signal)
    settle()
    return waiting
  }

  /** Makes this tab's token unusable now; the next request refreshes. */
  const expire = () => {
    if (!current) return
    current = { ...current, expiresAt: Date.now() }
    store.update({ expiresAt: current.expiresAt })
  }

  const start = (): Promise<void> => {
    if (destroyed) return Promise.reject(destroyedError())
    started ??= boot()
    return started
  }

  return {
    start,

    getAccessToken,

    /** After a 401: the next token, from a peer's newer grant or a coordinated refresh. */
    async tokenAfterUnauthorized(used: string, signal?: AbortSignal | null): Promise<string> {
      if (destroyed) throw destroyedError()
      // The API refused this token: it must not be handed out again, whatever its expiry says
      // (a refresh that fails on the network would otherwise release it to the waiters).
      if (current?.accessToken === used) {
        expire()
        if (!refreshingAnywhere() && status() === 'authenticated')
          void refresh('unauthorized', used)
      }
      return getAccessToken(signal)
    },

    async login(credentials: { username: string; password: string }): Promise<TUser> {
      if (destroyed) throw destroyedError()
      void start()
      const outcome = await lock(lockName, config.requestTimeout * 2, () => auth.login(credentials))
      if (outcome.kind !== 'granted') throw outcome.error
      endedSessions.delete(outcome.grant.sessionId)
      adopt(outcome.grant, 'local')
      post({ type: 'grant', grant: outcome.grant })
      settle()
      return outcome.grant.user
    },

    async logout(everywhere: boolean): Promise<void> {
      if (destroyed) throw destroyedError()
      const outcome = await lock(lockName, config.requestTimeout * 2, () => {
        // A peer's refresh queued behind this lock would otherwise go out with the cookie the
        // logout clears (401 no_session, the wrong reason): announced like a refresh, it makes
        // peers wait for the 'ended' below instead, even if that message lands after the lock.
        post({ type: 'logging-out', refreshId: randomId() })
        return auth.logout(everywhere)
      })
      const sessionId = current?.sessionId ?? null
      // Signed out here whatever the BFF said: the user asked for it.
      end(new SessionExpiredError('logged_out'), 'local')
      post({ type: 'ended', sessionId, reason: 'logged_out' })
      settle()
      if (outcome.kind === 'network' || outcome.kind === 'rejected') throw outcome.error
    },

    /** Forgets this tab's access token so the next request refreshes (coordinated). */
    invalidate: expire,

    destroy() {
      if (destroyed) return
      destroyed = true
      auth.abort()
      schedule.cancel()
      for (const timer of peerRefreshes.values()) clearTimer(timer)
      peerRefreshes.clear()
      stopWakeListeners()
      unsubscribeChannel()
      channel.close()
      current = null
      queue.rejectAll(destroyedError())
      notifyChange()
    },
  }
}

/** @internal */
export type RefreshCoordinator<TUser extends SessionUser> = ReturnType<
  typeof createRefreshCoordinator<TUser>
>
