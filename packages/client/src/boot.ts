/**
 * @module
 * A tab's start, in the fewest steps its browser allows (issue 18):
 * - no companion cookie: no session in this browser, `unauthenticated` at once, no request;
 * - otherwise the other tabs are asked for a token first thing, before the session machinery is
 *   built (`askOtherTabs`): their answer, one message each way, is on its way while the rest of
 *   the start runs;
 * - a sign-out this browser could not confirm: sent again, never a refresh (issue 12, M1), and no
 *   other tab answers the question then (`tab-listener.ts`);
 * - the presence marker lists no other tab (`tab-presence.ts`, one synchronous storage read):
 *   nobody to ask, one refresh at once, waiting for no browser call but the cross-tab lock, so
 *   that tabs which start together still make one refresh between them (the second finds the
 *   first's grant, or hears it is refreshing and waits for it);
 * - it lists some: the browser's locks confirm which are alive (a crashed tab's id is pruned);
 *   one that is answers this tab's question with its token, so this tab makes no refresh of its
 *   own (a tab that is refreshing answers that it is, and its grant follows); none is: one
 *   refresh as soon as the locks say so;
 * - a browser that cannot tell (no `navigator.locks.query`, or a lock adapter without `query`):
 *   the other tabs are asked anyway, and the refresh goes after `peerTimeout` without an answer.
 */
import type { BaseUser, TabMessage } from '@baton/protocol'
import type { ChannelAdapter } from './adapters/channel.js'
import { openTabChannel, type TabConnection } from './adapters/connect.js'
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
  /** Opens the tab's connection, on `opened` when `askOtherTabs` opened its channel already. */
  connect: (opened?: ChannelAdapter | null) => TabConnection
  post: (message: TabMessage<TUser>) => void
  /** Sends a sign-out this browser could not confirm again (`retry`); false: nothing to end. */
  signOut: (everywhere: boolean, retry: true) => Promise<boolean>
  /** Gets what the refresh needs ready while its lock is on its way (the device key's store). */
  prepare: () => void
  /** A coordinated refresh; with `gate`, the lock is asked for now, the refresh made if it opens. */
  refresh: (trigger: RefreshTrigger, stale: string | null, gate?: Promise<boolean>) => Promise<void>
  settle: () => void
  destroyed: () => boolean
}

/**
 * @internal A starting tab's question to the other tabs, asked as soon as `start()` finds the
 * companion cookie, before the machinery is built and the pending sign-out is read (the page's
 * first storage call): the answer is handled after the page's first frame at the earliest, and
 * the sooner it is asked the sooner it is there (BENCHMARKS 5).
 */
export function askOtherTabs(config: ClientConfig): ChannelAdapter | null {
  const channel = openTabChannel(config)
  channel?.post({ type: 'hello' } satisfies TabMessage)
  return channel
}

/** @internal */
export function createBoot<TUser extends BaseUser>(context: BootContext<TUser>) {
  const { config, session, pending, changes, post } = context
  let booting = false
  // Nobody has said anything that makes a token of this tab's own worth waiting for.
  const waiting = () =>
    !context.destroyed() && session.current === null && session.status() === 'loading'

  /**
   * Waits for the other tabs' answer while the locks are read (`others`, already in flight), and
   * the refresh lock is asked for, so that none of them waits for another. No other tab holds a
   * session: the refresh goes as soon as the lock is had. One may: its answer is waited for at
   * most `peerTimeout` (the peer may be frozen, or this browser cannot tell).
   */
  const askPeers = async (tab: TabConnection, others: Promise<boolean | null>) => {
    // One bound for the lock read and the answer together: the question went out before both.
    const until = config.now() + config.peerTimeout
    if (tab.presence.canTell) {
      let timer: ReturnType<typeof setTimer> | undefined
      // Bounded: a lock adapter whose query never answers must not keep the refresh lock.
      const alone = Promise.race([
        others.then((found) => found === false),
        new Promise<false>(
          (resolve) => (timer = setTimer(() => resolve(false), config.peerTimeout)),
        ),
      ]).finally(() => clearTimer(timer))
      const lockAsked = context.refresh('start', null, alone)
      if (await alone) {
        booting = false
        return lockAsked
      }
    }
    // The gated lock request is not waited for: shut, it makes no refresh, and a frozen tab may
    // hold that lock until it is taken over (2 × requestTimeout). A peer's token is used at once;
    // the refresh below, if this tab still needs one, goes after it (`refresh` queues it there).
    while (waiting() && config.now() < until) await changes.next(until - config.now())
  }

  /**
   * No other tab is listed: nobody to wait for. The question went out all the same: a tab that
   * started a moment earlier and is refreshing (its entry not visible here yet) answers that it
   * is, and the refresh below, queued behind its lock, waits for its grant instead.
   */
  const refreshAtOnce = () => {
    const refreshing = context.refresh('start', null)
    // Opened while the lock is on its way (asked for first: the two calls to the browser slow
    // each other down), and read under it, where no other tab can be replacing the key.
    context.prepare()
    booting = false
    return refreshing
  }

  return {
    /** True until this tab knows whether a peer hands it a token (requests wait meanwhile). */
    get booting() {
      return booting
    },

    /**
     * `late`: `createSessionClient` found no companion cookie when `start()` was called and set
     * the status then; this runs with its machinery, in a later task or call. The cookie is read
     * again: a sign-in in another tab may have set it since (the status is `loading` again then).
     * `asked`: it found the cookie, and asked the other tabs already on this channel (`null`: none).
     */
    async run(late?: boolean, asked?: ChannelAdapter | null): Promise<void> {
      // A tab start is the user's doing; a late one's was done while no session was here, and is
      // no activity of one signed in since (`session.end` forgets it for the same reason).
      if (!late) session.touch()
      // No companion cookie, no refresh cookie (the BFF sets and clears them together), and no
      // signed-in peer either (it would have set them): nothing to ask, no 401 to provoke, and no
      // session left for a pending sign-out to end. Said before the channel is even opened.
      // `asked`: `start()` found the cookie in this very task, and is not read again here.
      const anonymous =
        asked === undefined && hasSessionHint(config.cookies(), config.sessionHintCookie) === false
      if (anonymous) {
        session.end(null, 'local')
        // A sign-out still pending has no session left to end. Forgotten in a later task: the
        // page's first storage call is a synchronous trip to the browser (3-4 ms at page load in
        // Chromium, BENCHMARKS 5), which the visitor's status and first render need not wait for
        // (`late`: the status came before it, in `start()`).
        if (late) pending.clear()
        else setTimer(() => pending.clear(), 0)
      } else if (late) {
        // Another tab signed in since `start()` found no session, and its message found no
        // channel here to tell: this tab starts as any tab does from here.
        session.reopen()
      }
      // Opened before the marker and the locks are read: a tab that starts refreshing after
      // the read lists itself by then, or announces its refresh to this tab.
      const tab = context.connect(asked)
      if (anonymous) return context.settle()
      const everywhere = pending.read()
      if (everywhere !== null) {
        const signedOut = await context.signOut(everywhere, true).catch(() => true)
        if (signedOut) return
        // A sign-in replaced it while the lock was on its way. Its grant, if it reached this tab,
        // is this tab's session; otherwise this tab starts as any tab does.
        if (!waiting()) return context.settle()
      }
      if (asked === undefined) post({ type: 'hello' })
      booting = true
      if (tab.shared) {
        if (tab.presence.listed() === false) await refreshAtOnce()
        else await askPeers(tab, tab.presence.others())
      }
      booting = false
      if (waiting()) await context.refresh('start', null)
      context.settle()
    },
  }
}
