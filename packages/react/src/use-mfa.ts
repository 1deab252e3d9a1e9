'use client'
/**
 * @module
 * `useMfa()`: the two steps of a sign-in with a second factor, as a login form needs them.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import {
  BatonError,
  MfaRequiredError,
  SessionExpiredError,
  type BaseUser,
  type FactorProof,
  type LoginCredentials,
  type MfaChallenge,
  type RegisteredUser,
  type SessionClient,
} from '@baton/client'
import { useBatonClient } from './context.js'

/** A second step asked for, and the client whose sign-in it finishes. */
interface Held<TUser extends BaseUser> {
  client: SessionClient<TUser>
  error: MfaRequiredError<TUser>
}

/** What {@link useMfa} returns. Its functions keep their identity while the client is the same. */
export interface UseMfaResult<TUser extends BaseUser = RegisteredUser> {
  /**
   * The pending second step (`ticket`, `methods`, `expiresAt`) after a right password of a user
   * with a second factor, or `null`: render the code (or passkey) step while it is set.
   */
  challenge: MfaChallenge | null
  /**
   * Signs in like `login()`, except that a second factor asked for is no rejection: it resolves
   * with `null` and sets `challenge`. Resolves with the user when signed in; rejects with the
   * other errors (`invalid_credentials`, `rate_limited`, …).
   */
  login: (credentials: LoginCredentials) => Promise<TUser | null>
  /**
   * Finishes the pending sign-in with a second factor; resolves with the user and clears
   * `challenge`. A wrong code rejects with `invalid_credentials` and keeps `challenge` (try
   * again); a ticket that is over rejects with `SessionExpiredError` and clears it (back to the
   * password). Rejects with `request_failed` when nothing is pending.
   */
  complete: (proof: FactorProof) => Promise<TUser>
  /** Forgets the pending second step (back to the password). */
  cancel: () => void
}

/**
 * The two steps of a sign-in with a second factor. `login` replaces `useSession().login` in the
 * login form: for users without a second factor it signs in at once; for the others it sets
 * `challenge` and the form shows the second step, whose submit calls `complete`. The challenge is
 * this component's state (it goes with it), and is dropped when the ticket expires or the provider
 * is given another client.
 *
 * Every function is async and stable, so it fits React 19's `useActionState` and form actions.
 *
 * @typeParam TUser - The user type; defaults to the one declared once through `Register`.
 *
 * @example
 * ```tsx
 * function LoginForm() {
 *   const { challenge, login, complete, cancel } = useMfa()
 *   const [error, action] = useActionState(async (_: string | null, form: FormData) => {
 *     try {
 *       if (challenge) await complete({ method: 'totp', code: String(form.get('code')) })
 *       else await login({ username: String(form.get('username')), password: String(form.get('password')) })
 *       return null
 *     } catch (e) {
 *       return isBatonError(e) ? e.message : 'Something went wrong.'
 *     }
 *   }, null)
 *   return (
 *     <form action={action}>
 *       {challenge ? <input name="code" autoComplete="one-time-code" /> : <PasswordFields />}
 *       {error && <p role="alert">{error}</p>}
 *       <button>Continue</button>
 *       {challenge && <button type="button" onClick={cancel}>Back</button>}
 *     </form>
 *   )
 * }
 * ```
 */
export function useMfa<TUser extends BaseUser = RegisteredUser>(): UseMfaResult<TUser> {
  const client = useBatonClient<TUser>()
  // The pending sign-in with the client it belongs to: a provider given another client drops it,
  // since completing it would sign the first client in while the app shows the second.
  const [held, setHeld] = useState<Held<TUser> | null>(null)
  // Hidden from the first render with another client, then dropped for good by the effect below.
  const pending = held?.client === client ? held.error : null
  // `complete` reads the latest pending sign-in here, so its identity stays while the client does.
  const latest = useRef(held)
  // The client this hook was last committed with: a `login()` of the previous one that settles
  // after the switch must not store its challenge (it would come back with that client).
  const committed = useRef(client)
  const set = useCallback(
    (error: MfaRequiredError<TUser> | null) => {
      if (committed.current !== client) return
      const value = error && { client, error }
      latest.current = value
      setHeld(value)
    },
    [client],
  )

  // Hiding is not enough: given the first client back (a toggled provider, a remounted tree
  // sharing module-level clients), the held challenge would reappear and `complete()` finish that
  // stale sign-in. So a change of client forgets the previous one's challenge, in the ref as in
  // the state; the expiry timer below goes with it (`pending` becomes null). Only a change: an
  // effect that runs again for the same client (an `<Activity>` shown again, Fast Refresh, Strict
  // Mode) keeps the user's pending step.
  useEffect(() => {
    const previous = committed.current
    committed.current = client
    if (previous === client) return
    if (latest.current?.client === previous) latest.current = null
    setHeld((value) => (value?.client === previous ? null : value))
  }, [client])

  // A ticket past its lifetime is refused anyway; dropping it sends the user back to the password
  // instead of letting them type a code that cannot work. `expiresAt` is on this device's clock.
  useEffect(() => {
    if (!pending) return
    const timer = setTimeout(() => set(null), Math.max(0, pending.expiresAt - Date.now()))
    return () => clearTimeout(timer)
  }, [pending, set])

  const login = useCallback(
    async (credentials: LoginCredentials) => {
      try {
        const user = await client.login(credentials)
        set(null)
        return user
      } catch (error) {
        if (!(error instanceof MfaRequiredError)) throw error
        set(error as MfaRequiredError<TUser>)
        return null
      }
    },
    [client, set],
  )

  const complete = useCallback(
    async (proof: FactorProof) => {
      const current = latest.current?.client === client ? latest.current.error : null
      if (!current) throw new BatonError('request_failed', 'No sign-in waits for a second factor.')
      try {
        const user = await current.complete(proof)
        set(null)
        return user
      } catch (error) {
        if (error instanceof SessionExpiredError) set(null)
        throw error
      }
    },
    [client, set],
  )

  const cancel = useCallback(() => set(null), [set])

  return useMemo(() => {
    const challenge = pending && {
      ticket: pending.ticket,
      methods: pending.methods,
      expiresAt: pending.expiresAt,
    }
    return { challenge, login, complete, cancel }
  }, [pending, login, complete, cancel])
}
