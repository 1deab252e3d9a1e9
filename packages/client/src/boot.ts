/**
 * @module
 * A tab's start, in the fewest steps its browser allows (issue 18):
 * - no companion cookie: no session in this browser, `unauthenticated` at once, no request;
 * - a sign-out this browser could not confirm: sent again, never a refresh (issue 12, M1);
 * - another tab holds a session (`tab-presence.ts`): it answers the question this tab posts at
 *   once with its token, one message each way, so this tab makes no refresh of its own; a tab
 *   that is refreshing answers that it is, and its grant follows;
 * - no other tab holds one: one refresh as soon as the locks say so, through the cross-tab
 *   lock, so that tabs which start together still make one refresh between them (the second
 *   finds the first's grant);
 * - a browser that cannot tell (no `navigator.locks.query`, or a lock adapter without `query`):
 *   the other tabs are asked anyway, and the refresh goes after `peerTimeout` without an answer.
 */
import type { BaseUser, TabMessage } from '@baton/protocol'
import type { TabConnection } from './adapters/connect.js'
import type { createChangeSignal } from './change-signal.js'
import type { RefreshTrigger } from './events.js'
import type { ClientConfig } from './options.js'
import { hasSessionHint } from './session-hint.js'
import type { createPendingLogout } from './sign-out.js'
import type { TabSession } from './tab-session.js'
import { clearTimer, setTimer } from './timers.js'

/** @internal What the boot needs from the coordinator. */
export interface BootContext<TUser extends BaseUser> {
  config: Pick<ClientConfig, 'cookies' | 'sessionHintCookie' | 'peerTimeout' | 'now'>
  session: TabSession<TUser>
  pending: ReturnType<typeof createPendingLogout>
  changes: ReturnType<typeof createChangeSignal>
  /** Opens the channel and the rest of the tab's connection (before anything is asked). */
  connect: () => TabConnection
  post: (message: TabMessage<TUser>) => void
  /** Sends a sign-out this browser could not confirm again (`retry`). */
  signOut: (everywhere: boolean, retry: true) => Promise<void>
  /** A coordinated refresh; with `gate`, the lock is asked for now, the refresh made if it opens. */
  refresh: (trigger: RefreshTrigger, stale: string | null, gate?: Promise<boolean>) => Promise<void>
  settle: () => void
  destroyed: () => boolean
}

/** @internal */
export function createBoot<TUser extends BaseUser>(context: BootContext<TUser>) {
  const { config, session, pending, changes, post } = context
  let booting = false
  // Nobody has said anything that makes a token of this tab's own worth waiting for.
  const waiting = () =>
    !context.destroyed() && session.current === null && session.status() === 'loading'

  /**
   * Asks the other tabs for a token while the locks are read (`others`, already in flight), and
   * the refresh lock is asked for, so that none of them waits for another. No other tab holds a
   * session: the refresh goes as soon as the lock is had. One may: its answer takes one message
   * each way; it is waited for at most `peerTimeout` (the peer may be frozen, or this browser
   * cannot tell).
   */
  const askPeers = async (tab: TabConnection, others: Promise<boolean | null>) => {
    post({ type: 'hello' })
    if (tab.presence.canTell) {
      let timer: ReturnType<typeof setTimer> | undefined
      // Bounded: a lock adapter whose query never answers must not keep the refresh lock.
      const alone = Promise.race([
        others.then((found) => found === false),
        new Promise<false>(
          (resolve) => (timer = setTimer(() => resolve(false), config.peerTimeout)),
        ),
      ]).finally(() => clearTimer(timer))
      const refreshing = context.refresh('start', null, alone)
      if (await alone) {
        booting = false
        return refreshing
      }
    }
    const until = config.now() + config.peerTimeout
    while (waiting() && config.now() < until) await changes.next(until - config.now())
  }

  return {
    /** True until this tab knows whether a peer hands it a token (requests wait meanwhile). */
    get booting() {
      return booting
    },

    async run(): Promise<void> {
      session.touch() // a tab start is the user's doing
      // No companion cookie, no refresh cookie (the BFF sets and clears them together), and no
      // signed-in peer either (it would have set them): nothing to ask, no 401 to provoke, and no
      // session left for a pending sign-out to end. Said before the channel is even opened.
      const anonymous = hasSessionHint(config.cookies(), config.sessionHintCookie) === false
      if (anonymous) {
        pending.clear()
        session.end(null, 'local')
      }
      // Opened before the locks are read: a tab that starts refreshing after the read holds its
      // lock by then, or announces its refresh to this tab. The read is in flight while the
      // storage is read.
      const tab = context.connect()
      if (anonymous) return context.settle()
      const others = tab.shared ? tab.presence.others() : null
      const everywhere = pending.read()
      if (everywhere !== null) return context.signOut(everywhere, true).catch(() => {})
      booting = true
      if (others) await askPeers(tab, others)
      booting = false
      if (waiting()) await context.refresh('start', null)
      context.settle()
    },
  }
}
