/**
 * @module
 * The signed-in user's second factors (`@baton/client/mfa` over the app's one client), a hook
 * listing them, and what to tell the user when a factor call or a passkey ceremony fails.
 */
import { useCallback, useEffect, useState } from 'react'
import { createFactors, type FactorListBody } from '@baton/client/mfa'
import { WebAuthnError } from '@baton/client/passkeys'
import { isBatonError } from '@baton/react'
import { baton } from './baton'

/** List, enrol, confirm, regenerate, remove: stateless, so one for the whole app. */
export const factors = createFactors(baton)

/**
 * A failed factor call or passkey ceremony in words for the user: `fallback` says what did not
 * happen, the rest why.
 */
export function factorError(error: unknown, fallback: string): string {
  // The browser refused the ceremony: cancelled, timed out, or no authenticator at hand.
  // Nothing reached the BFF.
  if (error instanceof WebAuthnError) {
    if (error.code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED') {
      return `${fallback} This authenticator already holds a passkey of yours.`
    }
    if (error.code !== 'ERROR_CEREMONY_ABORTED') return `${fallback} ${error.message}`
  }
  if (
    error instanceof WebAuthnError ||
    (error instanceof DOMException && error.name === 'NotAllowedError')
  ) {
    return `${fallback} The passkey prompt was cancelled or timed out.`
  }
  if (!isBatonError(error)) return `${fallback} Something went wrong.`
  switch (error.code) {
    // The BFF's sentence: "The code is wrong, expired or already used.", "The passkey could not
    // be verified."
    case 'invalid_credentials':
      return error.message
    case 'rate_limited':
      return error.retryAfter === undefined
        ? 'Too many attempts. Wait a moment and try again.'
        : `Too many attempts. Try again in ${error.retryAfter} s.`
    case 'network_unavailable':
      return `${fallback} The server cannot be reached.`
    case 'step_up_required':
      return `${fallback} Your identity was not confirmed.`
    case 'session_expired':
      return 'Your session has ended.'
    default:
      return `${fallback} ${error.message}`
  }
}

/** The user's factors as `GET /auth/factors` lists them, loaded on mount (`enabled`). */
export function useFactors(enabled = true) {
  const [list, setList] = useState<FactorListBody | null>(null)
  const [error, setError] = useState<string | null>(null)
  const reload = useCallback(async () => {
    try {
      setList(await factors.list())
      setError(null)
    } catch (cause) {
      setError(factorError(cause, 'Your sign-in methods could not be loaded.'))
    }
  }, [])
  useEffect(() => {
    if (enabled) void reload()
  }, [enabled, reload])
  return { list, error, reload }
}
