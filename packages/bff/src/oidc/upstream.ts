/**
 * @module
 * The provider's tokens, kept on the server: encrypted at rest in the state store (a JWE under the
 * application's secret, bound to the Baton session id), indexed by the issuer and the provider's
 * `sid` and `sub` for back-channel logout, and refreshed upstream (`upstream-refresh.ts`).
 * @internal
 */
import type { Configuration } from 'openid-client'
import { BffError } from '../errors.js'
import type { BffConfig } from '../options.js'
import { guardStore } from '../stores/guard.js'
import { isLive, type RevocationReason } from '../stores/types.js'
import type { Revoker } from '../session-revocation.js'
import { issuerTag, legacyIndexKey, scopedKey, type ProviderSubject } from './issuer-keys.js'
import type { OidcConfig } from './options.js'
import type { Sealer } from './seal.js'
import { NOT_REVOKED, revokeRefreshToken } from './provider.js'
import type { OidcStateStore } from './state-store.js'
import { createRefresh } from './upstream-refresh.js'

/** @internal What the BFF keeps of a sign-in at the provider. */
export interface UpstreamRecord {
  /** The Baton session it belongs to (checked on every read: a record moved to another key is refused). */
  sessionId: string
  /** The provider's issuer; absent from a record written before the index was scoped by issuer. */
  iss?: string
  sub: string
  sid: string | null
  accessToken: string
  /** Epoch ms; `null` when the provider did not say. */
  accessTokenExpiresAt: number | null
  refreshToken: string | null
  /** For `id_token_hint` at RP-initiated logout. */
  idToken: string | null
  /**
   * The `iat` (epoch seconds, the provider's clock) of the ID token the sign-in's callback got:
   * when the provider signed this session in. Kept through upstream refreshes, which replace
   * `idToken`; absent from a record written before it was kept.
   */
  signedInAt?: number
}

const recordKey = (sessionId: string) => `up:${sessionId}`

const RETIRE_FAILED = '[baton] oidc: could not retire the ended session’s upstream tokens'

/** @internal */
export function createUpstream(
  config: Pick<BffConfig, 'store' | 'now' | 'logger'>,
  oidcConfig: OidcConfig,
  stateStore: OidcStateStore,
  sealer: Sealer,
  provider: () => Promise<Configuration>,
  revoker: Revoker,
) {
  const guarded = <T>(operation: () => Promise<T>) => guardStore(operation)
  const inflight = new Map<string, Promise<string>>()

  const load = async (sessionId: string): Promise<UpstreamRecord | null> => {
    const sealed = await guarded(() => stateStore.get(recordKey(sessionId)))
    if (sealed === null) return null
    const claims = await sealer.open('upstream', sealed, config.now())
    const record = claims?.['r'] as UpstreamRecord | undefined
    return record && record.sessionId === sessionId ? record : null
  }

  const save = async (record: UpstreamRecord, sessionExpiresAt: number) => {
    const now = config.now()
    const ttlMs = Math.max(1_000, sessionExpiresAt - now)
    const sealed = await sealer.seal('upstream', { r: record }, Math.ceil(ttlMs / 1000), now)
    await guarded(() => stateStore.set(recordKey(record.sessionId), sealed, ttlMs))
    return ttlMs
  }

  const forget = async (sessionId: string) => {
    await guarded(() => stateStore.delete(recordKey(sessionId)))
  }

  /**
   * The one way a record of a session that is over is retired: dropped, and its refresh token
   * revoked at the provider unless `keepGrant(record)`, or the record names another issuer (whose
   * token is not this provider's to revoke). Neither discovery nor the provider is awaited: the
   * Baton session is over whatever they answer, and a provider that is down must not hold up the
   * request that ended it. Never throws.
   */
  const retire = async (sessionId: string, keepGrant: (record: UpstreamRecord) => boolean) => {
    let record: UpstreamRecord | null
    try {
      record = await load(sessionId)
      if (!record) return
      await forget(sessionId)
    } catch (error) {
      config.logger.warn(RETIRE_FAILED, error)
      return
    }
    const token = record.refreshToken
    if (token === null || keepGrant(record)) return
    const { iss } = record
    void provider().then(
      (configuration) => {
        if (iss !== undefined && iss !== configuration.serverMetadata().issuer) return
        revokeRefreshToken(configuration, token, config.logger)
      },
      (error: unknown) => config.logger.warn(NOT_REVOKED, error),
    )
  }

  /** Sessions a provider's sign-in in this process is replacing right now. */
  const replacing = new Set<string>()

  const fresh = (record: UpstreamRecord) =>
    record.accessTokenExpiresAt === null ||
    record.accessTokenExpiresAt - oidcConfig.refreshSkewSeconds * 1000 > config.now()

  const noUpstream = () =>
    new BffError(401, 'invalid_token', 'This session holds no token of the identity provider.')

  const refresh = createRefresh({
    config,
    oidcConfig,
    stateStore,
    provider,
    revoker,
    records: { load, save, forget, fresh, noUpstream },
  })

  return {
    load,
    forget,

    /**
     * Stores the tokens of a new sign-in and indexes the session under its issuer by the
     * provider's `sid` and `sub`.
     */
    async saveNew(
      record: UpstreamRecord & { iss: string; signedInAt: number },
      sessionExpiresAt: number,
    ) {
      const ttlMs = await save(record, sessionExpiresAt)
      const tag = await issuerTag(record.iss)
      const index = (by: ProviderSubject) =>
        guarded(() => stateStore.addMember(scopedKey.index(tag, by), record.sessionId, ttlMs))
      await index({ sub: record.sub })
      if (record.sid !== null) await index({ sid: record.sid })
    },

    /**
     * Once a sign-in through the provider replaced session `sessionId` (the browser's previous
     * one, which `sessions.login` ended), drops its record and revokes its refresh token at the
     * provider, as `POST /logout` does: nobody could use that grant any more, or end it. Not when
     * `successor` (the new sign-in) is in the same provider session (`sid`), where the provider
     * may hold both tokens as one grant (Keycloak's client session: revoking one ends both), nor
     * for the very token the successor got. Never throws: the sign-in is done, whatever happens.
     */
    async retireReplaced(
      sessionId: string,
      successor: { sid: string | null; refreshToken: string | null },
    ): Promise<void> {
      try {
        const session = await guarded(() => config.store.get(sessionId))
        if (session && isLive(session, config.now())) return
      } catch (error) {
        config.logger.warn(RETIRE_FAILED, error)
        return
      }
      await retire(
        sessionId,
        (record) =>
          record.refreshToken === successor.refreshToken ||
          (record.sid !== null && record.sid === successor.sid),
      )
    },

    /**
     * The revoker's listener: retires the records of sessions a revocation ended (an admin, a
     * sign-out of other devices, theft, the session limit, a refused user), revoking their grants
     * at the provider, which has no other way to learn of it. A session a provider's sign-in
     * replaces is {@link retireReplaced}'s (the successor decides), a logout's is `afterLogout`'s (it needs
     * the ID token), and a grant the provider ended itself is not revoked again. Never throws.
     */
    async retireRevoked(sessionIds: readonly string[], reason: RevocationReason): Promise<void> {
      if (reason === 'logout') return
      const ids = reason === 'replaced' ? sessionIds.filter((id) => !replacing.has(id)) : sessionIds
      const providerEnded = reason === 'provider_logout'
      await Promise.all(ids.map((id) => retire(id, () => providerEnded)))
    },

    /**
     * Runs `signIn`, the provider's sign-in that replaces session `previous`: its revocation is
     * then left to {@link retireReplaced}, which knows the successor. Any other sign-in that
     * replaces a session (a password) retires its grant through {@link retireRevoked}.
     */
    async replacing<T>(previous: string | null, signIn: () => Promise<T>): Promise<T> {
      if (previous === null) return signIn()
      replacing.add(previous)
      try {
        return await signIn()
      } catch (error) {
        // Refused after it ended `previous` (the session limit, an anomaly, the store): there is
        // no successor to decide, and nobody holds that session any more.
        replacing.delete(previous)
        await this.retireReplaced(previous, { sid: null, refreshToken: null })
        throw error
      } finally {
        replacing.delete(previous)
      }
    },

    /**
     * Baton session ids signed in at `issuer` through the provider session `sid`, or as `sub`;
     * with those of the unscoped index of older builds, which the caller checks by
     * {@link issuedBy}.
     */
    async sessionsOf(issuer: string, by: ProviderSubject): Promise<string[]> {
      const tag = await issuerTag(issuer)
      const [scoped, legacy] = await Promise.all([
        guarded(() => stateStore.members(scopedKey.index(tag, by))),
        guarded(() => stateStore.members(legacyIndexKey(by))),
      ])
      return [...new Set([...scoped, ...legacy])]
    },

    /**
     * Whether the session may have been signed in at `issuer`: `false` only when its record names
     * another. A record of an older build names none, and a missing one means the session is over
     * (the record lives as long as it), where revoking again changes nothing.
     */
    async issuedBy(sessionId: string, issuer: string): Promise<boolean> {
      const record = await load(sessionId)
      return record?.iss === undefined || record.iss === issuer
    },

    /**
     * Remembers that `issuer` ended `by` by a logout token issued at `iat` (epoch seconds, the
     * provider's clock) and handled now, for a sign-in that registers after the logout looked for
     * it (see {@link endedBefore}). A set, so concurrent logouts keep every mark.
     */
    async markLoggedOut(issuer: string, by: ProviderSubject, iat: number, ttlMs: number) {
      const tag = await issuerTag(issuer)
      const mark = `${iat}:${config.now()}`
      await guarded(() => stateStore.addMember(scopedKey.loggedOut(tag, by), mark, ttlMs))
    },

    /**
     * Whether a logout `issuer` reported for `sub` or the provider session `sid` ended a sign-in
     * whose ID token was issued at `iat` (epoch seconds) and whose callback began at `startedAt`.
     * The two `iat`s are on the provider's clock; within the same second, a callback already under
     * way when the logout was handled counts as ended (its exchange may have come first), one that
     * began later exchanged its code after the logout.
     */
    async endedBefore(
      issuer: string,
      signIn: { sub: string; sid: string | null; iat: number; startedAt: number },
    ): Promise<boolean> {
      const tag = await issuerTag(issuer)
      const subjects: ProviderSubject[] = [{ sub: signIn.sub }]
      if (signIn.sid !== null) subjects.push({ sid: signIn.sid })
      const marks = await Promise.all(
        subjects.map((by) => guarded(() => stateStore.members(scopedKey.loggedOut(tag, by)))),
      )
      return marks.flat().some((mark) => {
        const [iat, handledAt] = mark.split(':').map(Number) as [number, number]
        return signIn.iat < iat || (signIn.iat === iat && signIn.startedAt <= handledAt)
      })
    },

    /**
     * The session's current upstream access token, refreshed when it expires within the skew.
     * Concurrent calls for one session share one refresh in this process and wait on the lease
     * across processes.
     */
    async accessToken(sessionId: string): Promise<string> {
      const session = await guarded(() => config.store.get(sessionId))
      if (!session || !isLive(session, config.now())) {
        throw new BffError(401, 'session_revoked', 'The session is over.')
      }
      const record = await load(sessionId)
      if (!record) throw noUpstream()
      if (fresh(record)) return record.accessToken
      let pending = inflight.get(sessionId)
      if (!pending) {
        pending = refresh(sessionId, session.expiresAt).finally(() => inflight.delete(sessionId))
        inflight.set(sessionId, pending)
      }
      return pending
    },
  }
}

/** @internal */
export type Upstream = ReturnType<typeof createUpstream>
