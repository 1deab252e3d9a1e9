/**
 * @module
 * Whether any tab could hand a starting tab its session, known without asking and waiting. Every
 * tab that holds a session, or is refreshing one, holds a shared lock named after its channel for
 * as long as it does; a starting tab reads the browser's locks (`navigator.locks.query()`) and
 * asks the other tabs only when one of them holds it. Without it, a lone tab waited `peerTimeout`
 * for an answer that could not come before it refreshed (issue 18).
 *
 * Only a tab that can answer holds the lock: a tab without a session (signed out, or starting
 * itself) would leave the asker waiting for nothing. Two tabs that start together both find none
 * and both go for the refresh lock, where the second finds the first one's grant.
 *
 * The browser lets go of a closed or crashed tab's lock by itself. A page kept in the
 * back/forward cache keeps its locks but cannot answer, so it lets go when it is hidden there and
 * takes the lock again when it is shown.
 */
import type { LockAdapter } from './adapters/lock.js'

/** Where `pagehide` and `pageshow` are heard: the window, absent outside a page. */
export type PageEvents = Pick<EventTarget, 'addEventListener' | 'removeEventListener'>

const windowEvents = (): PageEvents | undefined => {
  const target = globalThis as Partial<PageEvents> & { document?: unknown }
  return typeof target.addEventListener === 'function' && target.document !== undefined
    ? (target as PageEvents)
    : undefined
}

/** @internal */
export function createTabPresence(
  lock: LockAdapter,
  name: string,
  page: PageEvents | undefined = windowEvents(),
) {
  // Both or neither: holding without anyone reading it, or reading what nobody holds, is no use.
  const { hold, query } = lock
  const locks = hold && query ? { hold, query } : null
  let wanted = false
  let cached = false
  let release: (() => void) | null = null

  const apply = () => {
    const holding = wanted && !cached
    if (holding && release === null && locks) release = locks.hold(name)
    else if (!holding && release !== null) {
      release()
      release = null
    }
  }
  // `persisted`: the page goes into (or comes out of) the back/forward cache; a page that is
  // unloaded for good loses its locks anyway.
  const onHide = (event: Event) => {
    if (!(event as PageTransitionEvent).persisted) return
    cached = true
    apply()
  }
  const onShow = (event: Event) => {
    if (!(event as PageTransitionEvent).persisted) return
    cached = false
    apply()
  }
  page?.addEventListener('pagehide', onHide)
  page?.addEventListener('pageshow', onShow)

  return {
    /** False when `others()` can only answer `null`. */
    canTell: locks !== null,
    /**
     * Whether another tab holds a session it could hand over; `null` when this browser cannot
     * tell (no `hold` and `query` on the lock adapter, or the query failed). Ask before this tab
     * holds the lock itself.
     */
    async others(): Promise<boolean | null> {
      if (!locks) return null
      try {
        return (await locks.query()).includes(name)
      } catch {
        return null
      }
    },
    /** Holds the lock while `answering` (this tab has a session, or is refreshing one). */
    set(answering: boolean) {
      wanted = answering
      apply()
    },
    /** Lets go for good (the client is destroyed). */
    close() {
      wanted = false
      apply()
      page?.removeEventListener('pagehide', onHide)
      page?.removeEventListener('pageshow', onShow)
    },
  }
}

/** @internal */
export type TabPresence = ReturnType<typeof createTabPresence>
