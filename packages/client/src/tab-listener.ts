/**
 * @module
 * What this tab does with what the other tabs say. Any script of the origin can post on the
 * channel (issue 12, L3), so a message is a hint, checked before it changes anything:
 * - a `grant` must be consistent with its own token (`isPlausibleGrant`); one for another user
 *   than this tab's is verified with the BFF (one refresh: the refresh cookie knows who is signed
 *   in) instead of adopted;
 * - an `ended` signs this tab out only when this browser agrees (the BFF cleared the companion
 *   cookie, or a sign-out here is pending); otherwise the token is no longer used or handed over,
 *   and one refresh asks the BFF: a session it still grants goes on, and one it holds no more
 *   ends for the reason the peer gave (a sign-out in another tab is no failure here either);
 * - `refreshing` and `logging_out` make requests wait for at most one real refresh's duration
 *   (`createPeerRefreshes`);
 * - a `refresh_failed` that carries the BFF's `Retry-After` holds this tab's refreshes until then
 *   (a minute at most: `parseTabMessage`);
 * - while this tab backs off after a failed refresh, a `hello` or an `ended` starts no refresh:
 *   the scheduled retry asks the BFF soon enough, and a refresh per message (each starting tab's,
 *   or a script's stream of them) would hammer a BFF that is down and push that retry further out;
 *   an `ended` expires the token all the same, so no request goes out as a session that may be
 *   over before that retry has asked.
 */
import type { BaseUser, TabMessage } from '@baton/protocol'
import type { AuthApi } from './auth-api.js'
import { SessionExpiredError } from './errors.js'
import type { ClientEvent, RefreshTrigger } from './events.js'
import type { RefreshSchedule } from './refresh-schedule.js'
import { isPlausibleGrant, parseTabMessage, type PeerRefreshes } from './tab-messages.js'
import type { TabSession } from './tab-session.js'

/** @internal What the listener needs from the coordinator. */
export interface TabListenerContext<TUser extends BaseUser> {
  session: TabSession<TUser>
  peers: PeerRefreshes
  post: (message: TabMessage<TUser>) => void
  emit: (event: ClientEvent) => void
  now: () => number
  refresh: (trigger: RefreshTrigger) => unknown
  auth: Pick<AuthApi<TUser>, 'deferRefresh'>
  schedule: Pick<RefreshSchedule, 'deferUntil' | 'failing'>
  /** True when this browser's own state says the session is over. */
  signedOutHere: () => boolean
  /** The id of this tab's refresh in flight, if any. */
  refreshing: () => string | null
}

/** @internal Returns the channel listener; it never throws, whatever arrives. */
export function createTabListener<TUser extends BaseUser>(
  context: TabListenerContext<TUser>,
): (raw: unknown) => boolean {
  const { session, peers, post, emit, refresh } = context
  return (raw) => {
    const message = parseTabMessage<TUser>(raw)
    switch (message?.type) {
      case 'hello': {
        // The asker may be sending a sign-out of this browser again (`boot.ts`), or this tab's
        // session ended in another tab whose message is still on its way: nothing to hand over.
        if (context.signedOutHere()) break
        const grant = session.usable()
        const refreshId = context.refreshing()
        if (grant) post({ type: 'grant', grant })
        else if (refreshId) post({ type: 'refreshing', refreshId })
        // Listed for its session, but its token expired (a throttled timer): the asker would wait
        // its whole peerTimeout for an answer. The refresh both need, announced, is the answer.
        // Not while backing off (unlisted then, unless the token expired since): the retry is
        // scheduled, and one refresh per hello would hammer a BFF that is down.
        else if (
          session.current !== null &&
          session.status() === 'authenticated' &&
          !context.schedule.failing
        )
          void refresh('expired')
        break
      }
      case 'refreshing':
      case 'logging_out':
        peers.add(message.refreshId)
        if (message.type === 'refreshing') emit({ type: 'refresh_start', source: 'peer' })
        break
      case 'grant': {
        const { grant, refreshId } = message
        if (!isPlausibleGrant(grant, context.now())) return false
        peers.delete(refreshId)
        if (refreshId !== undefined) emit({ type: 'refresh_end', source: 'peer', ok: true })
        const user = session.current?.user.id
        // Another user than this tab's: a sign-in in another tab, or a forgery.
        if (user !== undefined && user !== grant.user.id) void refresh('verify')
        else if (session.adopt(grant, 'peer'))
          emit({ type: 'token_from_peer', expiresAt: grant.expiresAt })
        break
      }
      case 'refresh_failed': {
        peers.delete(message.refreshId)
        emit({ type: 'refresh_end', source: 'peer', ok: false, error: 'network_unavailable' })
        // Rate limited: the BFF would refuse this tab's refresh too, scheduled or for a request.
        if (message.retryAfter === undefined) break
        const until = context.now() + message.retryAfter * 1000
        context.auth.deferRefresh(until)
        context.schedule.deferUntil(until)
        break
      }
      case 'ended': {
        // The session is over for everyone: no refresh of it is worth waiting for.
        peers.clear()
        const { current } = session
        // No id: sent by a tab that held no session of its own (signed out before its start), for
        // whatever session this browser held; believed as far as any `ended` is.
        const ours = message.sessionId === null || current?.sessionId === message.sessionId
        // A sign-out pending here is for the session this browser holds now, whichever a peer
        // named: one that went unconfirmed after a sign-in in another tab names the old one.
        if (context.signedOutHere()) session.end(new SessionExpiredError(message.reason), 'peer')
        else if (current === null || ours) {
          // Till the BFF answers, the token may be a signed-out session's: no request goes out
          // with it, and no starting tab is handed it. An answer of no session ends it for the
          // peer's reason (its sign-out cleared the cookie). Backing off, the scheduled retry is
          // that check: one refresh per message would hammer a BFF that is down.
          session.expire(message.reason)
          if (!context.schedule.failing) void refresh('verify')
        } else if (message.sessionId !== null) {
          session.endedElsewhere(message.sessionId)
        }
        break
      }
      default:
        return false
    }
    return true
  }
}
