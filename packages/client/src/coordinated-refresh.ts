/**
 * @module
 * One refresh under the cross-tab lock, and what its outcome does. Callers in this tab share the
 * one in flight. Under the lock it first re-checks whether a peer already brought a fresher token
 * (or is about to report one), so a cookie is not spent twice; then it announces itself, calls the
 * BFF with the activity since the last refresh that counted, and broadcasts the outcome:
 * - granted: adopted, shared, and the waiting requests go at once;
 * - a network failure: never a sign-out, a backoff and a retry;
 * - anything else ends the session here and in every tab.
 */
import type { BaseUser, TabMessage } from '@baton/protocol'
import type { TabConnection } from './adapters/connect.js'
import type { AuthApi } from './auth-api.js'
import type { createChangeSignal } from './change-signal.js'
import { RefreshNetworkError, SessionExpiredError } from './errors.js'
import type { ClientEvent, RefreshTrigger } from './events.js'
import type { createRefreshSchedule } from './refresh-schedule.js'
import type { PendingLogout } from './sign-out.js'
import type { PeerRefreshes } from './tab-messages.js'
import type { TabSession } from './tab-session.js'

/** @internal What the coordinated refresh needs from the coordinator. */
export interface CoordinatedRefreshContext<TUser extends BaseUser> {
  auth: AuthApi<TUser>
  session: TabSession<TUser>
  schedule: ReturnType<typeof createRefreshSchedule>
  peers: PeerRefreshes
  pending: PendingLogout
  changes: ReturnType<typeof createChangeSignal>
  /** This tab's connection, once it has one. */
  tab: () => TabConnection | null
  withLock: <R>(fn: () => Promise<R>) => Promise<R>
  post: (message: TabMessage<TUser>) => void
  emit: (event: ClientEvent) => void
  now: () => number
  settle: () => void
  destroyed: () => boolean
}

/** @internal */
export function createCoordinatedRefresh<TUser extends BaseUser>(
  context: CoordinatedRefreshContext<TUser>,
) {
  const { auth, session, schedule, peers, pending, changes, post, emit, now, settle } = context
  let localRefresh: Promise<void> | null = null
  let localRefreshId: string | null = null
  /** The local refresh in flight has a gate: it may never be made. */
  let gated = false
  /** Its gate shut: it makes no refresh, and only waits for the lock to let it go. */
  let shut = false
  /** A refresh of this tab's waits for the gated one to let the lock go. */
  let queued = false
  /** The local refresh in flight has its grant (it only has the lock to release). */
  let granted = false
  // Baton needs a secure context anyway (Web Locks, Secure cookies), where randomUUID exists.
  const newId = () => crypto.randomUUID()

  const refreshUnderLock = async (trigger: RefreshTrigger, stale: string | null) => {
    const fresher = () => (session.usable()?.accessToken ?? stale) !== stale
    if (context.destroyed() || fresher()) return
    // A peer that just released the lock posted its grant first, but the message may still be on
    // its way: give a refresh we know about a moment to report before spending the cookie again,
    // even one that outlasted the wait requests give it. Only those known now: the holder this
    // tab queued behind announced its refresh before, and a stream of later (forged) ones would
    // keep it here to the deadline every time.
    const awaited = peers.unreported()
    const reporting = () => peers.unreported().some((id) => awaited.includes(id))
    const deadline = now() + 1_000
    while (reporting() && now() < deadline && !fresher()) await changes.next(deadline - now())
    if (context.destroyed() || fresher() || session.status() === 'unauthenticated') return
    // A sign-out of this browser is not confirmed yet: the session must not come back.
    if (pending.read() !== null) return session.end(new SessionExpiredError('logged_out'), 'local')

    const refreshId = newId()
    localRefreshId = refreshId
    // Said before the announcement: a tab starting now finds this one and asks it.
    context.tab()?.presence.set(true)
    post({ type: 'refreshing', refreshId })
    emit({ type: 'refresh_start', source: 'local', trigger })
    // Activity from now on is news for the next refresh, not for this one.
    const activity = session.active
    session.active = false
    const outcome = await auth.refresh(activity)
    localRefreshId = null
    if (context.destroyed()) return
    if (outcome.kind === 'granted') {
      session.adopt(outcome.grant, 'local')
      post({ type: 'grant', grant: outcome.grant, refreshId })
      emit({ type: 'refresh_end', source: 'local', ok: true })
      // Done for the requests: those waiting, and those the new status makes (a page rendered for
      // it), go now, not once the lock is released, which takes a call to the browser (issue 18).
      granted = true
      return settle()
    }
    session.active ||= activity
    const sessionId = session.current?.sessionId ?? null
    const reason = outcome.kind === 'ended' ? outcome.error.reason : outcome.error.code
    // Before the end it brings: the tab's last word is its `signed_out`, as in a tab told by a peer.
    emit({ type: 'refresh_end', source: 'local', ok: false, error: reason })
    // No session at the BFF after a peer said it ended: that peer's sign-out (or end) cleared the
    // cookie. It ends here as it did there, a sign-out the user asked for being no failure.
    const byPeer = reason === 'no_session' ? session.endedByPeer : null
    // 'rejected' is a refusal for a reason other than the session (a CSRF or origin
    // misconfiguration): retrying cannot help, and pretending to be signed in would hide it.
    if (outcome.kind === 'network') session.failed(outcome.error)
    else if (byPeer) session.end(new SessionExpiredError(byPeer), 'peer')
    else session.end(outcome.error, 'local')
    // The BFF's Retry-After goes to every tab: it would refuse their refreshes as well.
    const retryAfter = outcome.kind === 'network' ? outcome.error.retryAfter : undefined
    post(
      outcome.kind === 'ended'
        ? { type: 'ended', sessionId, reason: byPeer ?? outcome.error.reason }
        : retryAfter === undefined
          ? { type: 'refresh_failed', refreshId }
          : { type: 'refresh_failed', refreshId, retryAfter },
    )
    if (outcome.kind === 'network') emit({ type: 'retry_scheduled', delay: schedule.backoff() })
  }

  /**
   * Runs one coordinated refresh; concurrent callers in this tab share it. With `gate`, the lock
   * is asked for at once but the refresh runs only if the gate opens: a starting tab asks for the
   * lock while it finds out whether it needs it.
   */
  const refresh = (
    trigger: RefreshTrigger,
    stale = session.current?.accessToken ?? null,
    gate?: Promise<boolean>,
  ): Promise<void> => {
    if (context.destroyed()) return Promise.resolve()
    // A refresh that may not be made (its gate shut, or a token got meanwhile) answers nobody who
    // needs one, such as a 'verify' of another user's grant: that one goes after it, and finds
    // out then whether the gated one brought a token fresher than `stale`.
    if (localRefresh !== null && gated && gate === undefined) {
      queued = true
      return localRefresh.then(() => refresh(trigger, stale))
    }
    if (localRefresh === null) {
      granted = shut = queued = false
      gated = gate !== undefined
      // Seen before the lock comes: a frozen tab may hold it until it is taken over.
      void gate?.then((open) => (shut = gated && !open))
    }
    localRefresh ??= context
      .withLock(async () => {
        if (gate === undefined || (await gate)) await refreshUnderLock(trigger, stale)
      })
      .catch((cause: unknown) => {
        // Only a broken lock gets here (the refresh itself never throws), or destroy(): treat it
        // like the network.
        if (context.destroyed()) return
        session.failed(new RefreshNetworkError('Refresh failed to run.', { cause }))
        schedule.backoff()
      })
      .finally(() => {
        localRefresh = null
        settle()
      })
    return localRefresh
  }

  return {
    refresh,
    /** The id of this tab's refresh in flight, until its outcome is in. */
    refreshing: () => localRefreshId,
    /**
     * A refresh of this tab's is in flight and has no grant yet: requests wait for it. Not a
     * shut gate's, unless a refresh waits behind it: it brings no token.
     */
    busy: () => localRefresh !== null && !granted && (queued || !shut),
  }
}
