/**
 * @module
 * The session protocol: login, refresh with rotation, grace window and reuse detection, and the
 * session list. It lives here once; stores only provide an atomic compare-and-set. What a
 * presented refresh token is, is decided by `classifyPresentedToken` (`refresh-decision.ts`);
 * this module acts on it. Logout is in `session-logout.ts`, revocations in
 * `session-revocation.ts`, the devices list in `session-devices.ts`, the session limit in
 * `session-limit.ts` and step-up in `session-step-up.ts`.
 */
import type { SessionUser } from '@baton/protocol'
import type { Context } from 'hono'
import { createAnomalyResponder } from './anomaly/respond.js'
import { storeUnavailable } from './errors.js'
import { sessionEvent } from './events.js'
import type { BffConfig } from './options.js'
import { findFamily, presentToken, type PresentedToken } from './presented-token.js'
import { classifyPresentedToken } from './refresh-decision.js'
import type { RequestMeta } from './request-meta.js'
import { createdBeforeEpoch, readRevocationEpoch } from './revocation-epoch.js'
import { createDevices } from './session-devices.js'
import { createSessionLimit } from './session-limit.js'
import { createStepUp } from './session-step-up.js'
import { createSessionValidation } from './session-validation.js'
import { endFor, expired, invalidCookie, noCookie } from './session-errors.js'
import { createLogout } from './session-logout.js'
import type { Revoker } from './session-revocation.js'
import { guardStore } from './stores/guard.js'
import type { SessionRotation, StoredSession } from './stores/types.js'
import { createBinding, type LazyProof } from './dpop/session-binding.js'
import { issueGrant, type Issued } from './tokens/grant.js'
import {
  hashRefreshToken,
  MAX_ROTATION_ATTEMPTS,
  mintRefreshToken,
  newSessionId,
  newTokenKey,
  openSuccessor,
  PASSWORD_AMR,
  sealSuccessor,
} from './tokens/refresh.js'

/** @internal What a refresh request brings. */
export interface RefreshRequest {
  /** The refresh cookie's one value, if any. */
  cookie: string | undefined
  /** Sent with `ACTIVITY_HEADER: 1`: the user is there, so the idle deadline moves. */
  activity: boolean
  meta: RequestMeta
  /** For `validateSession`. */
  context: Context
  /** The request's DPoP proof, checked only if the session is bound (`dpop/session-binding.ts`). */
  proof?: LazyProof
}

/** The session as `validateSession` sees it: no token material. */

/** @internal */
export function createSessionService(config: BffConfig, revoker: Revoker) {
  const { store, emit } = config
  const devices = createDevices(config, revoker)
  const limit = createSessionLimit(config, revoker, devices)
  const anomalies = createAnomalyResponder(config, revoker)
  const binding = createBinding(config, revoker)

  const issue = (session: StoredSession, refreshToken: string, now: number) =>
    issueGrant(config, session, refreshToken, now)

  /** Rotates the current token; `null` when another request rotated first. */
  const rotate = async (
    session: StoredSession,
    presented: PresentedToken,
    request: RefreshRequest,
    now: number,
    stepUp: boolean,
  ): Promise<Issued | null> => {
    const successor = mintRefreshToken(session.id, session.tokenKey)
    const generation = session.generation + 1
    // Keep-alive is not activity (ASVS 7.3.1): a tab refreshing in the background must not hold
    // an abandoned session open, so only a refresh the user's activity asked for moves this.
    const idleExpiresAt = request.activity ? now + config.idleTimeoutMs : session.idleExpiresAt
    const { meta } = request
    const rotation: SessionRotation = {
      tokenHash: hashRefreshToken(successor),
      previousTokenHash: presented.hash,
      rotatedAt: now,
      sealedSuccessor: sealSuccessor(presented.token, successor),
      generation,
      lastUsedAt: now,
      idleExpiresAt,
      ip: meta.ip ?? session.ip,
      userAgent: meta.userAgent ?? session.userAgent,
      // A refresh proves nothing about the user: the last proof of credentials stays what it was,
      // unless an anomaly asks for a step-up: `0` fails every `maxAge` until the user
      // reauthenticates.
      authTime: stepUp ? 0 : session.authTime,
      amr: session.amr,
      acr: session.acr,
    }
    const rotated = await guardStore(() => store.rotate(session.id, presented.hash, rotation, now))
    if (!rotated) return null
    anomalies.rotated(session.id, now)
    // The token says what the rotation wrote, so `authTime: 0` reaches the very token it issues.
    const issued = await issue({ ...session, ...rotation }, successor, now)
    emit({ type: 'refresh', duplicate: false, generation, ...sessionEvent(session, now, meta) })
    return issued
  }

  const checkWithApplication = createSessionValidation(config, revoker)

  /**
   * Ends the session a login's cookie names before the new one starts (ASVS 7.2.4), whoever signs
   * in: a browser holds one session. A rotated-out token is reuse, as on every cookie route.
   */
  const endPresented = async (cookie: string | undefined, meta: RequestMeta) => {
    const presented = presentToken(cookie)
    if (!presented) return
    const session = await findFamily(store, presented)
    if (!session) return
    const now = config.now()
    switch (classifyPresentedToken(session, presented.hash, now, config)) {
      case 'current':
      case 'grace_duplicate':
        await revoker.revoke(session.id, 'replaced', meta, now)
        return
      case 'reused':
        // The credentials just checked out, so the sign-in goes on; only the family ends.
        await revoker.reuse(session, meta, now)
        return
      default:
        return
    }
  }

  return {
    ...createLogout(config, revoker),
    ...devices,
    stepUp: createStepUp(config, revoker),
    binding,

    /** Starts a session for `user`, after ending the one `cookie` names. */
    async login(
      user: SessionUser,
      cookie: string | undefined,
      meta: RequestMeta,
      context: Context,
      /** The key thumbprint the session is bound to (`binding.atLogin`); `null`: unbound. */
      jkt: string | null = null,
      /**
       * How the user proved who they are when it was not a password here (an OpenID provider's
       * `auth_time`, `amr`, `acr`); a password login leaves it out.
       */
      proof?: Pick<StoredSession, 'authTime' | 'amr' | 'acr'>,
    ): Promise<Issued> {
      await endPresented(cookie, meta)
      const now = config.now()
      // Read once for the limit and the anomaly rules, which both judge the sessions before this one.
      let listed: Promise<StoredSession[]> | undefined
      const existing = () => (listed ??= devices.liveSessionsOf(user.id, now))
      await limit.admit(user.id, meta, now, existing)
      const id = newSessionId()
      const tokenKey = newTokenKey()
      const refreshToken = mintRefreshToken(id, tokenKey)
      const session: StoredSession = {
        id,
        userId: user.id,
        user,
        createdAt: now,
        lastUsedAt: now,
        expiresAt: now + config.absoluteTimeoutMs,
        idleExpiresAt: now + config.idleTimeoutMs,
        userAgent: meta.userAgent,
        ip: meta.ip,
        tokenKey,
        tokenHash: hashRefreshToken(refreshToken),
        previousTokenHash: null,
        rotatedAt: null,
        sealedSuccessor: null,
        generation: 0,
        revokedAt: null,
        revokedReason: null,
        authTime: proof?.authTime ?? now,
        amr: proof ? [...proof.amr] : [...PASSWORD_AMR],
        acr: proof?.acr ?? null,
        jkt,
      }
      await anomalies.atLogin(session, meta, context, now, existing)
      await guardStore(() => store.create(session, now))
      await limit.confirm(session, meta)
      const issued = await issue(session, refreshToken, now)
      emit({ type: 'login', ...sessionEvent(session, now, meta) })
      await limit.evict(session, meta)
      return issued
    },

    async refresh(request: RefreshRequest): Promise<Issued> {
      const { cookie, meta } = request
      if (cookie === undefined || cookie === '') throw noCookie()
      const presented = presentToken(cookie)
      if (!presented) throw invalidCookie()
      let checked = false
      // Checked once per request: a lost compare-and-set must not count or report it twice.
      let stepUp: boolean | undefined
      // Taken once, before the epoch is read: a `revokeAll()` that the read misses writes an epoch
      // after `now`, so whatever this request issues counts as issued before it, and is refused.
      // A retry after a lost compare-and-set keeps it: the request is decided as of its arrival.
      const now = config.now()
      // Read beside the session, in parallel: `bff.admin.revokeAll()` ended what came before it.
      const [first, epoch] = await Promise.all([
        findFamily(store, presented),
        readRevocationEpoch(store),
      ])

      for (let attempt = 0; attempt < MAX_ROTATION_ATTEMPTS; attempt++) {
        const session = attempt === 0 ? first : await findFamily(store, presented)
        // Never created, swept after its deadlines, or not minted by us: one answer for all, so
        // the code is no oracle for which session ids exist.
        if (!session) throw invalidCookie()
        if (createdBeforeEpoch(session, epoch)) throw endFor({ revokedReason: 'revoked' })
        const kind = classifyPresentedToken(session, presented.hash, now, config)
        if ((kind === 'current' || kind === 'grace_duplicate') && !checked) {
          // Before the application is asked: a copied cookie must not reach validateSession.
          await binding.check(session, request.proof, 'refresh', meta)
          await checkWithApplication(session, request)
          checked = true
        }
        switch (kind) {
          case 'revoked':
            throw endFor(session)
          case 'expired_absolute':
          case 'expired_idle': {
            if (await guardStore(() => store.revoke(session.id, 'expired', now))) {
              const reason = kind === 'expired_absolute' ? 'absolute' : 'idle'
              emit({ type: 'expired', reason, ...sessionEvent(session, now, meta) })
            }
            throw expired()
          }
          case 'current': {
            stepUp ??= await anomalies.atRefresh(session, meta, request.context, now)
            const issued = await rotate(session, presented, request, now, stepUp)
            if (issued) return issued
            continue
          }
          case 'grace_duplicate': {
            // The successor already minted, so the family never splits; one that does not unmask
            // to the current hash was not sealed for this token, which makes it a reuse.
            const successor = openSuccessor(
              presented.token,
              session.sealedSuccessor!,
              session.tokenHash,
            )
            if (!successor) throw await revoker.reuse(session, meta, now)
            // Compared with the rotation it duplicates: two tabs of one browser look alike, while
            // a copied cookie replayed within the grace period would otherwise take the successor
            // past every check. Checked once per request, as after a lost compare-and-set.
            stepUp ??= await anomalies.atRefresh(session, meta, request.context, now, {
              duplicate: true,
            })
            // The successor is the winner's too, so a step-up marks only this request's token.
            const issued = await issue(
              stepUp ? { ...session, authTime: 0 } : session,
              successor,
              now,
            )
            const about = sessionEvent(session, now, meta)
            emit({ type: 'refresh', duplicate: true, generation: session.generation, ...about })
            return issued
          }
          case 'reused':
            // Before any proof: a rotated-out token is theft whoever presents it (RFC 9700 §4.14.2),
            // and the alarm must not depend on whether the thief also has the key.
            throw await revoker.reuse(session, meta, now)
        }
      }
      throw storeUnavailable(new Error('refresh: too many concurrent rotations'))
    },
  }
}

/** @internal */
export type SessionService = ReturnType<typeof createSessionService>
