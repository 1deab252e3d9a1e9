/**
 * @module
 * Device binding in the session protocol: which key a login binds the session to, and the check
 * every later use of the refresh cookie passes (refresh, logout). The proof is verified lazily,
 * only for a session that is bound, and at most once per request.
 *
 * A proof that fails (missing, malformed, stale, replayed) ends nothing: a bug or a clock must not
 * sign anybody out. A valid proof by another key is different: whoever sent it holds the refresh
 * cookie and a key of their own, which the session's browser never does (its key never leaves
 * it), so the cookie was copied out. The whole session is revoked (`binding_mismatch`).
 * @internal
 */
import { DPOP_HEADER } from '@baton/protocol'
import type { Context } from 'hono'
import { sessionEvent } from '../events.js'
import type { BffConfig } from '../options.js'
import type { RequestMeta } from '../request-meta.js'
import { unauthorized } from '../session-errors.js'
import type { Revoker } from '../session-revocation.js'
import type { StoredSession } from '../stores/types.js'
import { invalidProof } from './errors.js'
import { verifyProof, type VerifiedProof } from './proof.js'

/** @internal The proof of the request, verified on first call (then the same answer). */
export type LazyProof = () => Promise<VerifiedProof>

/** @internal The routes a bound session's proof is checked on. */
export type BoundRoute = 'refresh' | 'logout'

/** @internal */
export function createBinding(
  config: Pick<BffConfig, 'binding' | 'now' | 'emit'>,
  revoker: Revoker,
) {
  const { binding } = config

  // The BFF's cookie routes answer as an authorization server: a nonce demand is a 400 (§8).
  const verify = (c: Context) =>
    verifyProof(
      c.req.header(DPOP_HEADER),
      { method: c.req.method, url: c.req.url },
      binding,
      config.now(),
      400,
    )

  const assertRenewable = (session: StoredSession): void => {
    if (session.jkt === null && binding.policy === 'required') {
      throw unauthorized(
        'session_revoked',
        'This session is not bound to a device key, which this server requires; sign in again.',
      )
    }
  }

  return {
    /**
     * The thumbprint a login binds its session to, or `null` for an unbound session. With
     * `if_supported` a login without a `DPoP` header is unbound, but one with a bad proof is
     * refused: a client that tried to bind must not silently get a weaker session.
     */
    async atLogin(c: Context): Promise<string | null> {
      if (binding.policy === 'off') return null
      if (binding.policy === 'if_supported' && c.req.header(DPOP_HEADER) === undefined) return null
      return (await verify(c)).jkt
    },

    /** The request's proof, verified when first asked for. */
    proofOf(c: Context): LazyProof {
      let verified: Promise<VerifiedProof> | undefined
      return () => (verified ??= verify(c))
    },

    /**
     * Throws `401 session_revoked` for an unbound session when the policy requires binding: it
     * may end, but not get a new grant. Refresh checks it in `check`, and a step-up
     * (`POST /reauthenticate`), which rotates the cookie and issues a grant as refresh does, here.
     */
    assertRenewable,

    /**
     * Passes for an unbound session (unless the policy requires binding and the route refreshes)
     * and for a bound one whose request carries a valid proof by its key. A valid proof by
     * another key revokes the session and throws `401 session_revoked`.
     */
    async check(
      session: StoredSession,
      proof: LazyProof | undefined,
      route: BoundRoute,
      meta: RequestMeta,
    ): Promise<void> {
      if (session.jkt === null) {
        // Logout always works: ending a session is never refused for how it was made.
        if (route === 'refresh') assertRenewable(session)
        return
      }
      if (!proof) throw invalidProof('A DPoP proof is required')
      const { jkt } = await proof()
      if (jkt === session.jkt) return
      const now = config.now()
      // Theft is reported before its consequence, as reuse is.
      config.emit({
        type: 'binding_mismatch',
        route,
        jkt: session.jkt,
        presentedJkt: jkt,
        ...sessionEvent(session, now, meta),
      })
      await revoker.revoke(session.id, 'binding_mismatch', meta, now)
      throw bindingMismatch()
    },
  }
}

// The answers `bindingMismatch` made, so logout can tell "ended for theft" from a failure.
const mismatches = new WeakSet<object>()

/** @internal The answer to a cookie used with another key: the session is over. */
export function bindingMismatch() {
  const error = unauthorized(
    'session_revoked',
    'The session was ended: its refresh cookie was used with another device key.',
  )
  mismatches.add(error)
  return error
}

/** @internal True for the answer of {@link bindingMismatch}. */
export const isBindingMismatch = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && mismatches.has(error)

/** @internal */
export type Binding = ReturnType<typeof createBinding>
