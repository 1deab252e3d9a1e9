/**
 * @module
 * The provider's tokens, kept on the server: encrypted at rest in the state store (a JWE under the
 * application's secret, bound to the Baton session id), indexed by the provider's `sid` and `sub`
 * for back-channel logout, and refreshed upstream under a per-session lease so that two instances
 * never spend the same upstream refresh token.
 * @internal
 */
import type { Configuration } from 'openid-client'
import * as oidc from 'openid-client'
import { BffError } from '../errors.js'
import type { BffConfig } from '../options.js'
import { guardStore } from '../stores/guard.js'
import { isLive } from '../stores/types.js'
import type { Revoker } from '../session-revocation.js'
import type { OidcConfig } from './options.js'
import { providerUnavailable } from './provider.js'
import type { Sealer } from './seal.js'
import type { OidcStateStore } from './state-store.js'

/** @internal What the BFF keeps of a sign-in at the provider. */
export interface UpstreamRecord {
  /** The Baton session it belongs to (checked on every read: a record moved to another key is refused). */
  sessionId: string
  sub: string
  sid: string | null
  accessToken: string
  /** Epoch ms; `null` when the provider did not say. */
  accessTokenExpiresAt: number | null
  refreshToken: string | null
  /** For `id_token_hint` at RP-initiated logout. */
  idToken: string | null
}

const key = {
  record: (sessionId: string) => `up:${sessionId}`,
  lease: (sessionId: string) => `lease:${sessionId}`,
  sid: (sid: string) => `sid:${sid}`,
  sub: (sub: string) => `sub:${sub}`,
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

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
  const leaseMs = oidcConfig.timeoutMs * 3

  const load = async (sessionId: string): Promise<UpstreamRecord | null> => {
    const sealed = await guarded(() => stateStore.get(key.record(sessionId)))
    if (sealed === null) return null
    const claims = await sealer.open('upstream', sealed, config.now())
    const record = claims?.['r'] as UpstreamRecord | undefined
    return record && record.sessionId === sessionId ? record : null
  }

  const save = async (record: UpstreamRecord, sessionExpiresAt: number) => {
    const now = config.now()
    const ttlMs = Math.max(1_000, sessionExpiresAt - now)
    const sealed = await sealer.seal('upstream', { r: record }, Math.ceil(ttlMs / 1000), now)
    await guarded(() => stateStore.set(key.record(record.sessionId), sealed, ttlMs))
    return ttlMs
  }

  const fresh = (record: UpstreamRecord) =>
    record.accessTokenExpiresAt === null ||
    record.accessTokenExpiresAt - oidcConfig.refreshSkewSeconds * 1000 > config.now()

  const noUpstream = () =>
    new BffError(401, 'invalid_token', 'This session holds no token of the identity provider.')

  /** Refreshes under the lease; waits for another holder's result when it cannot take it. */
  const refresh = async (sessionId: string, expiresAt: number): Promise<string> => {
    const deadline = Date.now() + leaseMs + oidcConfig.timeoutMs
    const owner = crypto.randomUUID()
    while (Date.now() < deadline) {
      const record = await load(sessionId)
      if (!record) throw noUpstream()
      if (fresh(record)) return record.accessToken
      if (record.refreshToken === null) {
        throw new BffError(
          401,
          'invalid_token',
          'The upstream access token expired and cannot be refreshed.',
        )
      }
      // The lease outlives the request's timeout, so it cannot end while its holder may still spend
      // the refresh token: whoever takes it next reads the rotated token (or the same one, unspent).
      if (!(await guarded(() => stateStore.claim(key.lease(sessionId), owner, leaseMs)))) {
        await sleep(50)
        continue
      }
      try {
        // Read again under the lease: the previous holder may have written just before we took it.
        const current = await load(sessionId)
        if (!current) throw noUpstream()
        if (fresh(current)) return current.accessToken
        let tokens: Awaited<ReturnType<typeof oidc.refreshTokenGrant>>
        try {
          tokens = await oidc.refreshTokenGrant(await provider(), current.refreshToken!)
        } catch (error) {
          if (error instanceof oidc.ResponseBodyError && error.error === 'invalid_grant') {
            // The provider ended the grant (its session is over): so does the Baton session.
            await guarded(() => stateStore.delete(key.record(sessionId)))
            await revoker.revoke(
              sessionId,
              'provider_logout',
              { ip: null, userAgent: null },
              config.now(),
            )
            throw new BffError(401, 'session_revoked', 'The identity provider ended this session.')
          }
          // Discovery, the network, a provider error: nothing says the session is over.
          throw providerUnavailable(error)
        }
        const expiresIn = tokens.expiresIn()
        const next: UpstreamRecord = {
          ...current,
          accessToken: tokens.access_token,
          accessTokenExpiresAt: expiresIn === undefined ? null : config.now() + expiresIn * 1000,
          refreshToken: tokens.refresh_token ?? current.refreshToken,
          idToken: tokens.id_token ?? current.idToken,
        }
        await save(next, expiresAt)
        return next.accessToken
      } finally {
        await stateStore.release(key.lease(sessionId), owner).catch(() => undefined)
      }
    }
    // Another instance holds the lease and its provider has not answered it in time.
    throw providerUnavailable(
      new Error('oidc: the upstream refresh lease was not released in time'),
    )
  }

  return {
    load,

    /** Stores the tokens of a new sign-in and indexes the session by the provider's `sid` and `sub`. */
    async saveNew(record: UpstreamRecord, sessionExpiresAt: number) {
      const ttlMs = await save(record, sessionExpiresAt)
      await guarded(() => stateStore.addMember(key.sub(record.sub), record.sessionId, ttlMs))
      if (record.sid !== null) {
        await guarded(() => stateStore.addMember(key.sid(record.sid!), record.sessionId, ttlMs))
      }
    },

    /** Baton session ids signed in through the provider session `sid`, or as `sub`. */
    async sessionsOf(by: { sid: string } | { sub: string }): Promise<string[]> {
      const setKey = 'sid' in by ? key.sid(by.sid) : key.sub(by.sub)
      return guarded(() => stateStore.members(setKey))
    },

    async forget(sessionId: string) {
      await guarded(() => stateStore.delete(key.record(sessionId)))
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
