/**
 * @module
 * Step-up authentication (RFC 9470) in the browser. A request the API refused with a step-up
 * challenge waits here, with `store.stepUp` set so the app can ask for the password, until a
 * grant proving a newer sign-in arrives: `reauthenticate()` in this tab, or in another tab
 * (its grant reaches this one like a refresh's does, and its token's `auth_time` tells it apart
 * from a refresh's). Then every waiting request is retried once with it. `cancelStepUp()`, the
 * `stepUpTimeout`, an abort or the end of the session reject them instead.
 */
import type { BaseUser } from '@baton/protocol'
import type { AuthApi } from './auth-api.js'
import type { ReauthenticateCredentials } from './client.js'
import { destroyedError } from './errors.js'
import { isUsable } from './grant.js'
import type { ClientConfig } from './options.js'
import { createRequestQueue } from './queue.js'
import type { RefreshCoordinator } from './refresh-coordinator.js'
import { StepUpRequiredError, type StepUpChallenge } from './request-errors.js'
import { authTimeOf } from './step-up-challenge.js'
import type { SessionStore } from './store.js'

/** `auth_time` of a token, `-Infinity` for none: any proof beats no proof. */
const provedAt = (token: string | null | undefined) => authTimeOf(token) ?? -Infinity

/** @internal */
export function createStepUp<TUser extends BaseUser>(
  config: Pick<ClientConfig, 'maxQueue' | 'stepUpTimeout' | 'onEvent' | 'now'>,
  auth: Pick<AuthApi<TUser>, 'reauthenticate'>,
  store: SessionStore<TUser>,
  coordinator: Pick<
    RefreshCoordinator<TUser>,
    'getAccessToken' | 'current' | 'withLock' | 'share' | 'invalidate' | 'endedError'
  >,
) {
  const emit = config.onEvent
  let pending = false
  let challenge: StepUpChallenge = {}
  /** The newest `auth_time` among the refused tokens: a grant proving a later sign-in answers. */
  let refusedAt = -Infinity
  /** The token of this tab's own step-up while it is being adopted (the event's `source`). */
  let ownToken: string | null = null
  let destroyed = false

  const waiting = createRequestQueue({
    maxSize: config.maxQueue,
    timeout: config.stepUpTimeout,
    timeoutError: () =>
      new StepUpRequiredError(challenge, { message: 'No step-up authentication in time.' }),
    onQueued: () => {},
    onReleased: () => {},
  })

  const over = (ok: boolean, source: 'local' | 'peer') => {
    pending = false
    store.update({ stepUp: null })
    emit({ type: 'step_up_end', ok, source })
  }
  const release = (token: string, source: 'local' | 'peer') => {
    over(true, source)
    waiting.release(token)
  }
  const fail = (error: unknown) => {
    over(false, 'local')
    waiting.rejectAll(error)
  }

  // A grant adopted in this tab, from any source: if it proves a newer sign-in, the step-up is
  // done (another tab's, or this one's); if the session ended, nothing is left to wait for.
  const unsubscribe = store.view.subscribe((state, previous) => {
    if (!pending) return
    if (state.status === 'unauthenticated') return fail(coordinator.endedError())
    if (state.expiresAt === previous.expiresAt) return
    const current = coordinator.current()
    if (isUsable(current, config.now()) && provedAt(current.accessToken) > refusedAt)
      release(current.accessToken, current.accessToken === ownToken ? 'local' : 'peer')
  })

  return {
    /**
     * A request sent with `refused` got `challenge`: resolves with the token to retry it with once
     * a step-up is done (here or in another tab), rejects with `StepUpRequiredError` when it is
     * cancelled or times out, with the caller's abort reason, or with the session's end.
     */
    async wait(
      next: StepUpChallenge,
      refused: string,
      signal?: AbortSignal | null,
    ): Promise<string> {
      if (destroyed) throw destroyedError()
      // Signed out while this request was on its way: no step-up brings that session back.
      if (store.getState().status === 'unauthenticated') throw coordinator.endedError()
      // A step-up done while this request was on its way: the token held now answers it.
      const current = coordinator.current()
      if (current && provedAt(current.accessToken) > provedAt(refused))
        return coordinator.getAccessToken(signal ?? undefined)
      refusedAt = pending ? Math.max(refusedAt, provedAt(refused)) : provedAt(refused)
      challenge = next
      store.update({ stepUp: next })
      if (!pending) {
        pending = true
        emit({ type: 'step_up_required', ...next })
      }
      const token = waiting.enqueue(signal)
      // The last waiter gone (timed out, aborted): no dialog should ask for a step-up any more.
      const left = () => {
        if (pending && waiting.size === 0) over(false, 'local')
      }
      token.then(left, left)
      return token
    },

    /**
     * Proves the user again (`POST {base}/reauthenticate`); the grant is adopted here and shared
     * with every tab, and the waiting requests are retried. A refusal rejects with its typed error
     * and leaves the step-up pending, so the user can try again.
     */
    async reauthenticate(credentials: ReauthenticateCredentials): Promise<void> {
      if (destroyed) throw destroyedError()
      const token = await coordinator.getAccessToken()
      const outcome = await coordinator.withLock(() => {
        // A peer may have refreshed while this tab waited for the lock: send the newest token.
        const current = coordinator.current()
        const bearer = isUsable(current, config.now()) ? current.accessToken : token
        return auth.reauthenticate(credentials, bearer)
      })
      if (destroyed) throw destroyedError()
      if (outcome.kind === 'granted') {
        const { accessToken } = outcome.grant
        ownToken = accessToken
        try {
          coordinator.share(outcome.grant)
        } finally {
          ownToken = null
        }
        // A BFF whose tokens carry no `auth_time`: this tab knows what it just did.
        if (pending && coordinator.current()?.accessToken === accessToken)
          release(accessToken, 'local')
        return
      }
      // The BFF says the session is over: one refresh lets it tell every tab, as a refresh does.
      if (outcome.kind === 'ended') {
        coordinator.invalidate()
        coordinator.getAccessToken().catch(() => {})
      }
      throw outcome.error
    },

    /** Rejects the waiting requests with `StepUpRequiredError`, and clears `stepUp`. */
    cancel() {
      if (pending)
        fail(new StepUpRequiredError(challenge, { message: 'Step-up authentication cancelled.' }))
    },

    destroy() {
      if (destroyed) return
      destroyed = true
      unsubscribe()
      pending = false
      waiting.rejectAll(destroyedError())
    },
  }
}

/** @internal */
export type StepUp = ReturnType<typeof createStepUp>
