/**
 * @module
 * Whether any tab could hand a starting tab its session, known without asking and waiting
 * (issue 18). Every tab that holds a session, or is refreshing one, does two things for as long
 * as it does:
 * - it lists a random id of its own in `adapters.storage` (localStorage): one key of its own,
 *   `<channel>:v2:tab:<id>` (the channel and the tab protocol version); a starting tab reads
 *   them synchronously, and **no id means no tab to ask**: it refreshes at once, without
 *   waiting for any browser call but the refresh lock;
 * - it holds a lock named after that id; a starting tab that finds ids confirms them with
 *   `navigator.locks.query()` (the browser lets go of a closed or crashed tab's locks by
 *   itself), prunes the ids nobody holds, and asks the other tabs only when one of them is alive.
 *
 * The marker is a hint, never the truth about exclusion: the refresh still runs under the
 * cross-tab refresh lock, so two tabs that start together, both finding no id, still make one
 * refresh between them (the second finds the first one's grant). One key per tab, not one list:
 * tabs run in other processes, and a list that two of them rewrite at once loses one's change
 * (two tabs signed out together left an id behind). A marker that lies costs at most a refresh
 * (an entry not visible yet, or removed by a script) or a lock read (an entry left by a crashed
 * tab, pruned then); a tab lists itself again at each of its settles, so a lost entry comes back.
 * It holds random tab ids only: no token, no session id, nothing a script could use. A storage
 * that cannot list its keys (`length` and `key()`, which localStorage has) is not read: the
 * locks are.
 *
 * Only a tab that can answer lists itself: a tab without a session (signed out, or starting
 * itself) would leave the asker waiting for nothing. A page leaving (`pagehide`) unlists itself;
 * one kept in the back/forward cache keeps its locks but cannot answer, so it also lets go of the
 * lock there, and takes both again when it is shown.
 */
import type { LockAdapter } from './adapters/lock.js'

/** Where `pagehide` and `pageshow` are heard: the window, absent outside a page. */
export type PageEvents = Pick<EventTarget, 'addEventListener' | 'removeEventListener'>

/** The storage the marker lives in (`adapters.storage`), or `null` for none. */
export type MarkerStorage =
  | (Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> & Partial<Pick<Storage, 'key' | 'length'>>)
  | null

const windowEvents = (): PageEvents | undefined => {
  const target = globalThis as Partial<PageEvents> & { document?: unknown }
  return typeof target.addEventListener === 'function' && target.document !== undefined
    ? (target as PageEvents)
    : undefined
}

/** What an id looks like (`crypto.randomUUID()`); anything else in the marker is ignored. */
const ID = /^[\w-]{8,64}$/

/** @internal */
export function createTabPresence(
  lock: LockAdapter,
  /** The prefix of the tabs' lock names (versioned, as the channel: see `connect.ts`). */
  name: string,
  /** `prefix`: of the marker's keys, which end with the tab's id. */
  marker: { prefix: string; storage: () => MarkerStorage } | null = null,
  page: PageEvents | undefined = windowEvents(),
) {
  // Both or neither: holding without anyone reading it, or reading what nobody holds, is no use.
  // Without them the marker is not used either: its ids could never be confirmed.
  const { hold, query } = lock
  const locks = hold && query ? { hold, query } : null
  const id = crypto.randomUUID()
  const lockName = (tab: string) => `${name}:${tab}`
  const prefix = marker?.prefix ?? ''

  /** Runs `act` on the storage; `null` when there is none or it throws (the marker is a hint). */
  const use = <R>(act: (store: NonNullable<MarkerStorage>) => R): R | null => {
    try {
      const store = marker?.storage()
      return store ? act(store) : null
    } catch {
      // Sandboxed iframe, storage disabled, quota: as if there were none.
      return null
    }
  }
  /** The ids listed, or `null` when the storage cannot list its keys. */
  const read = (store: NonNullable<MarkerStorage>): string[] | null => {
    const { length } = store
    if (typeof length !== 'number' || typeof store.key !== 'function') return null
    const ids: string[] = []
    for (let i = 0; i < length; i++) {
      const key = store.key(i)
      const tab = key?.startsWith(prefix) ? key.slice(prefix.length) : ''
      if (ID.test(tab)) ids.push(tab)
    }
    return ids
  }
  /** This tab listed itself (and has not unlisted since): the only tab that writes its key. */
  let listing = false
  // Written only when it changes: every write is an event in every other tab. Read again at each
  // settle while listed: another tab prunes an entry whose lock it did not see yet.
  const list = () => {
    listing = true
    use((store) => store.getItem(prefix + id) === null && store.setItem(prefix + id, '1'))
  }
  const unlist = () => {
    if (!listing) return
    listing = false
    use((store) => store.removeItem(prefix + id))
  }

  let wanted = false
  let hidden = false
  let release: (() => void) | null = null

  const apply = () => {
    if (!locks) return
    const holding = wanted && !hidden
    // The lock first: a tab that reads the marker and queries must find it held.
    if (holding && release === null) release = locks.hold(lockName(id))
    else if (!holding && release !== null) {
      release()
      release = null
    }
    if (holding) list()
    else unlist()
  }
  // Leaving, for good or into the back/forward cache (`persisted`), where a page keeps its locks
  // but cannot answer: unlisted and let go of. Only a cached page is ever shown again.
  const onHide = () => {
    hidden = true
    apply()
  }
  const onShow = (event: Event) => {
    if (!(event as PageTransitionEvent).persisted) return
    hidden = false
    apply()
  }
  page?.addEventListener('pagehide', onHide)
  page?.addEventListener('pageshow', onShow)

  return {
    /** False when `others()` can only answer `null` (and no marker is kept). */
    canTell: locks !== null,
    /**
     * Whether the marker lists any other tab, read synchronously: `false` means no tab to ask
     * (refresh at once), `true` that `others()` must confirm it, `null` that there is no marker
     * to read (no storage, or this browser cannot tell at all).
     */
    listed(): boolean | null {
      if (!locks) return null
      return use((store) => read(store)?.some((entry) => entry !== id) ?? null)
    },
    /**
     * Whether another tab holds a session it could hand over, from the browser's locks; the ids
     * in the marker that no tab holds (a crashed tab's) are pruned. `null` when this browser
     * cannot tell (no `hold` and `query` on the lock adapter, or the query failed). Ask before
     * this tab lists itself.
     */
    async others(): Promise<boolean | null> {
      if (!locks) return null
      let held: Set<string>
      try {
        held = new Set(await locks.query())
      } catch {
        return null
      }
      const alive = [...held].some((lock) => lock.startsWith(lockName('')) && lock !== lockName(id))
      use((store) => {
        for (const entry of read(store) ?? []) {
          if (entry !== id && !held.has(lockName(entry))) store.removeItem(prefix + entry)
        }
      })
      return alive
    },
    /** Holds the lock and lists this tab while `answering` (it has a session, or is refreshing one). */
    set(answering: boolean) {
      wanted = answering
      apply()
    },
    /** Lets go and unlists this tab for good (the client is destroyed). */
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
