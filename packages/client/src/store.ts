/**
 * @module
 * The session state: one zustand vanilla store, the single source of truth for status. The
 * access token is deliberately not in it, so devtools and renders never see it.
 */
import { createStore, type StoreApi } from 'zustand/vanilla'
import type { BatonError } from './errors.js'

/** The signed-in user as the BFF returned it. */
export interface SessionUser {
  id: string
  [claim: string]: unknown
}

/** `loading` until the first answer (a peer tab or the BFF), then one of the other two. */
export type SessionStatus = 'loading' | 'authenticated' | 'unauthenticated'

/** What the store holds. */
export interface SessionState<TUser extends SessionUser = SessionUser> {
  status: SessionStatus
  user: TUser | null
  sessionId: string | null
  /** When this tab's access token expires (epoch ms, this device's clock), or `null`. */
  expiresAt: number | null
  /**
   * Why the session ended (`SessionExpiredError`), or the last refresh failure while it goes on
   * (`RefreshNetworkError`, cleared by the next success).
   */
  error: BatonError | null
}

/** A store you can read and subscribe to but not write, like zustand's `ReadonlyStoreApi`. */
export type ReadonlySessionStore<TUser extends SessionUser = SessionUser> = Pick<
  StoreApi<SessionState<TUser>>,
  'getState' | 'getInitialState' | 'subscribe'
>

/** @internal */
export function createSessionStore<TUser extends SessionUser>() {
  const store = createStore<SessionState<TUser>>()(() => ({
    status: 'loading',
    user: null,
    sessionId: null,
    expiresAt: null,
    error: null,
  }))
  // zustand notifies on every setState; subscribers should only hear about real changes.
  const update = (patch: Partial<SessionState<TUser>>) => {
    const state = store.getState()
    for (const key in patch) {
      if (!Object.is(patch[key as keyof SessionState], state[key as keyof SessionState])) {
        store.setState(patch)
        return
      }
    }
  }
  const view: ReadonlySessionStore<TUser> = {
    getState: store.getState,
    getInitialState: store.getInitialState,
    subscribe: store.subscribe,
  }
  return { view, update, getState: store.getState }
}
