/**
 * @module
 * The session state: one zustand vanilla store, the single source of truth for status. The
 * access token is deliberately not in it, so devtools and renders never see it.
 */
import type { BaseUser } from '@baton/protocol'
import { createStore, type StoreApi } from 'zustand/vanilla'
import type { AnyBatonError, SessionEndReason } from './errors.js'
import type { RegisteredUser } from './register.js'
import type { StepUpChallenge } from './request-errors.js'

/** `loading` until the first answer (a peer tab or the BFF), then one of the other two. */
export type SessionStatus = 'loading' | 'authenticated' | 'unauthenticated'

/**
 * What the store holds.
 *
 * @example
 * ```ts
 * const unsubscribe = baton.store.subscribe(({ status, expiresAt, tokenLifetime }) => {
 *   if (status === 'authenticated') drawProgress((expiresAt! - Date.now()) / tokenLifetime!)
 * })
 * ```
 */
export interface SessionState<TUser extends BaseUser = RegisteredUser> {
  status: SessionStatus
  user: TUser | null
  sessionId: string | null
  /** When this tab's access token expires (epoch ms, this device's clock), or `null`. */
  expiresAt: number | null
  /**
   * How long this tab's access token lives in all (ms), or `null`: with `expiresAt`, what a
   * countdown or progress bar needs, with no state of its own.
   */
  tokenLifetime: number | null
  /**
   * What went wrong: why the session ended against the user's will (`SessionExpiredError`:
   * expired, revoked, reuse detected), or the last refresh failure while it goes on
   * (`RefreshNetworkError`, cleared by the next success). `null` for a visitor who never signed
   * in, and after a sign-out the user asked for and the BFF confirmed (here or in another tab):
   * that is no failure, so a "your session ended" banner keyed on `error` does not greet them.
   * A `SessionExpiredError` with reason `logged_out` and a `cause`: the BFF has not confirmed the
   * sign-out yet (the cause says why); the next start retries it.
   */
  error: AnyBatonError | null
  /**
   * Why this tab's last session ended, failure or not (`logged_out` for a sign-out), for a
   * friendly notice such as "You have been signed out."; `null` while signed in and for a visitor
   * who never signed in.
   */
  endReason: SessionEndReason | null
  /**
   * A step-up the API asked for (RFC 9470) while requests wait for it: show a "confirm your
   * password" dialog and call `reauthenticate()` (or `cancelStepUp()`). `maxAge` (seconds) and
   * `acrValues` are what the route asked. `null` when no request waits for one; cleared in every
   * tab once any tab's step-up succeeds.
   */
  stepUp: StepUpChallenge | null
}

/** A store you can read and subscribe to but not write, like zustand's `ReadonlyStoreApi`. */
export type ReadonlySessionStore<TUser extends BaseUser = RegisteredUser> = Pick<
  StoreApi<SessionState<TUser>>,
  'getState' | 'getInitialState' | 'subscribe'
>

/** @internal */
export function createSessionStore<TUser extends BaseUser>() {
  const store = createStore<SessionState<TUser>>()(() => ({
    status: 'loading',
    user: null,
    sessionId: null,
    expiresAt: null,
    tokenLifetime: null,
    error: null,
    endReason: null,
    stepUp: null,
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

/** @internal */
export type SessionStore<TUser extends BaseUser> = ReturnType<typeof createSessionStore<TUser>>
