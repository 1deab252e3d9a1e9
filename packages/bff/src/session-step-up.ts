/**
 * @module
 * `POST /reauthenticate` in the session protocol (RFC 9470 step-up): the user of a live session
 * proves who they are again, the session's `authTime` becomes now, and the refresh token rotates.
 *
 * Why rotate: a proof of credentials raises what the session may do, and OWASP's session
 * management guidance renews the session identifier on every privilege change. A copy of the
 * refresh cookie taken before the step-up becomes an ancestor, so it cannot ride the fresher
 * session: presented after the grace period it ends the family as reuse (RFC 9700 §4.14.2). A
 * concurrent refresh is safe: a cookie rotated a moment ago takes the grace path and the step-up
 * rotates from its successor, so the family never splits.
 * @internal
 */
import { createBinding } from './dpop/session-binding.js'
import { storeUnavailable } from './errors.js'
import { sessionEvent } from './events.js'
import type { BffConfig } from './options.js'
import { findFamily, presentToken, type PresentedToken } from './presented-token.js'
import { classifyPresentedToken } from './refresh-decision.js'
import type { RequestMeta } from './request-meta.js'
import { createdBeforeEpoch, readRevocationEpoch } from './revocation-epoch.js'
import { endFor, expired, invalidCookie, noCookie } from './session-errors.js'
import type { Revoker } from './session-revocation.js'
import { guardStore } from './stores/guard.js'
import type { StoredSession } from './stores/types.js'
import { createSessionValidation } from './session-validation.js'
import { issueGrant, type Issued } from './tokens/grant.js'
import type { Context } from 'hono'
import {
  hashRefreshToken,
  MAX_ROTATION_ATTEMPTS,
  mintRefreshToken,
  openSuccessor,
  PASSWORD_AMR,
  sealSuccessor,
} from './tokens/refresh.js'

/** @internal What the route has established before the password is checked. */
export interface StepUpRequest {
  cookie: string | undefined
  /** The `sid` of the verified bearer token: it must be the cookie's session. */
  tokenSessionId: string
  meta: RequestMeta
  /** For `validateSession`. */
  context: Context
}

/** @internal The session a step-up will apply to, and the token that proves it is held. */
export interface StepUpTarget {
  session: StoredSession
  presented: PresentedToken
}

/** @internal */
export function createStepUp(config: BffConfig, revoker: Revoker) {
  const { store, emit } = config
  const binding = createBinding(config, revoker)
  const checkWithApplication = createSessionValidation(config, revoker)

  /**
   * The current token of the family `presented` belongs to at `now`, or a throw saying why there
   * is none. `now` must be taken before the reads: a `revokeAll()` that the epoch read misses then
   * writes an epoch after `now`, so the token issued at `now` is one `requireAuth` refuses.
   */
  const currentToken = async (
    presented: PresentedToken,
    meta: RequestMeta,
    now: number,
  ): Promise<StepUpTarget> => {
    const [session, epoch] = await Promise.all([
      findFamily(store, presented),
      readRevocationEpoch(store),
    ])
    if (!session) throw invalidCookie()
    if (createdBeforeEpoch(session, epoch)) throw endFor({ revokedReason: 'revoked' })
    switch (classifyPresentedToken(session, presented.hash, now, config)) {
      case 'revoked':
        throw endFor(session)
      case 'expired_absolute':
      case 'expired_idle':
        // Refresh reports the expiry (and revokes) when the client tries it; nothing to add here.
        throw expired()
      case 'reused':
        throw await revoker.reuse(session, meta, now)
      case 'current':
        return { session, presented }
      case 'grace_duplicate': {
        const successor = openSuccessor(
          presented.token,
          session.sealedSuccessor!,
          session.tokenHash,
        )
        if (!successor) throw await revoker.reuse(session, meta, now)
        return { session, presented: presentToken(successor)! }
      }
    }
  }

  return {
    /**
     * Checks the cookie before any password is: a live session, the one the bearer token names.
     * Nobody without both gets to try a password here.
     */
    async target(request: StepUpRequest): Promise<StepUpTarget> {
      if (request.cookie === undefined || request.cookie === '') throw noCookie()
      const presented = presentToken(request.cookie)
      if (!presented || presented.token.sessionId !== request.tokenSessionId) {
        throw invalidCookie()
      }
      const target = await currentToken(presented, request.meta, config.now())
      // A step-up issues a grant as refresh does, so it is refused as refresh is: an unbound
      // session under `binding: 'required'` (else cookie and password kept minting grants for it),
      // then whatever the application refuses. `complete` re-reads the same session, whose key
      // never changes, so once is enough.
      binding.assertRenewable(target.session)
      await checkWithApplication(target.session, request)
      return target
    },

    /**
     * Records the proof: `authTime` now, `amr` `['pwd']` (or what a second factor proved,
     * `proof`), a rotated refresh token.
     */
    async complete(
      target: StepUpTarget,
      meta: RequestMeta,
      proof: { amr: readonly string[]; acr: string | null } = { amr: PASSWORD_AMR, acr: null },
    ): Promise<Issued> {
      let { presented } = target
      for (let attempt = 0; attempt < MAX_ROTATION_ATTEMPTS; attempt++) {
        const now = config.now()
        // Read again rather than rotating the target: the password was checked since, and the
        // session may have passed a deadline or been ended by `revokeAll()` meanwhile, neither of
        // which the compare-and-set sees. After a lost one, our token is the previous one now.
        const current = await currentToken(presented, meta, now)
        const { session } = current
        presented = current.presented
        const successor = mintRefreshToken(session.id, session.tokenKey)
        const rotation = {
          tokenHash: hashRefreshToken(successor),
          previousTokenHash: presented.hash,
          rotatedAt: now,
          sealedSuccessor: sealSuccessor(presented.token, successor),
          generation: session.generation + 1,
          lastUsedAt: now,
          // Typing a password is activity if anything is (ASVS 7.3.1).
          idleExpiresAt: now + config.idleTimeoutMs,
          ip: meta.ip ?? session.ip,
          userAgent: meta.userAgent ?? session.userAgent,
          authTime: now,
          amr: [...proof.amr],
          acr: proof.acr,
        }
        if (await guardStore(() => store.rotate(session.id, presented.hash, rotation, now))) {
          // Bound or not as the session is: the proof was checked with the bearer token (its
          // `cnf.jkt` is the session's key), so the step-up's token stays bound to it.
          const issued = await issueGrant(config, { ...session, ...rotation }, successor, now)
          emit({
            type: 'reauthenticated',
            amr: [...proof.amr],
            ...sessionEvent(session, now, meta),
          })
          return issued
        }
      }
      throw storeUnavailable(new Error('reauthenticate: too many concurrent rotations'))
    },
  }
}

/** @internal */
export type StepUp = ReturnType<typeof createStepUp>
