/**
 * @module
 * The upstream refresh behind `accessToken(c)`: under a per-session lease, so that two instances
 * never spend the same upstream refresh token; checked against the session once the provider
 * answered, so a logout during the refresh stays a logout; and careful with a rotated refresh
 * token, which the provider gave this process alone.
 * @internal
 */
import type { Configuration } from 'openid-client'
import * as oidc from 'openid-client'
import { BffError } from '../errors.js'
import { NO_REQUEST } from '../events.js'
import type { BffConfig } from '../options.js'
import { guardStore } from '../stores/guard.js'
import { isLive } from '../stores/types.js'
import type { Revoker } from '../session-revocation.js'
import type { OidcConfig } from './options.js'
import { providerUnavailable, revokeRefreshToken } from './provider.js'
import type { OidcStateStore } from './state-store.js'
import type { UpstreamRecord } from './upstream.js'

/**
 * Attempts at storing a refreshed record. The provider may have spent the old refresh token, so a
 * store blip must not lose the new one; a few quick tries ride it out within the request.
 */
const SAVE_ATTEMPTS = 3
const SAVE_RETRY_MS = 50

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

const sessionOver = () => new BffError(401, 'session_revoked', 'The session is over.')

/** @internal What the refresh needs of the record keeping in `upstream.ts`. */
export interface RefreshDeps {
  config: Pick<BffConfig, 'store' | 'now' | 'logger'>
  oidcConfig: OidcConfig
  stateStore: OidcStateStore
  provider: () => Promise<Configuration>
  revoker: Revoker
  records: {
    load: (sessionId: string) => Promise<UpstreamRecord | null>
    save: (record: UpstreamRecord, sessionExpiresAt: number) => Promise<number>
    forget: (sessionId: string) => Promise<void>
    fresh: (record: UpstreamRecord) => boolean
    noUpstream: () => BffError
  }
}

/** @internal `refresh(sessionId, sessionExpiresAt)`: the new upstream access token. */
export function createRefresh({
  config,
  oidcConfig,
  stateStore,
  provider,
  revoker,
  records,
}: RefreshDeps) {
  const { load, save, forget, fresh, noUpstream } = records
  const leaseMs = oidcConfig.timeoutMs * 3

  const over = async (sessionId: string) => {
    const session = await guardStore(() => config.store.get(sessionId))
    return !session || !isLive(session, config.now())
  }

  /**
   * The session ended while the provider answered (`POST /logout`, back-channel logout, an
   * admin): what that logout forgot stays forgotten, and the grant the provider just extended is
   * given back, as the logout gave back the one it knew.
   */
  const ended = async (sessionId: string, next: UpstreamRecord, configuration: Configuration) => {
    await forget(sessionId)
    if (next.refreshToken !== null) {
      revokeRefreshToken(configuration, next.refreshToken, config.logger)
    }
    return sessionOver()
  }

  /**
   * Stores `next`, retrying a failing store a few times. When it still fails and the provider
   * rotated the refresh token, the only copy of the new one is in this process: the record left
   * in the store holds a spent token, whose refusal would later pass for the provider's logout.
   * The session is ended then, as `revoked` and logged, and the record dropped.
   */
  const keep = async (
    next: UpstreamRecord,
    previous: UpstreamRecord,
    expiresAt: number,
    configuration: Configuration,
  ) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await save(next, expiresAt)
        return
      } catch (error) {
        if (attempt < SAVE_ATTEMPTS) {
          await sleep(SAVE_RETRY_MS * attempt)
          continue
        }
        // Not rotated: the stored token still works, and the client's retry refreshes again.
        if (next.refreshToken === previous.refreshToken) throw error
        config.logger.error(
          '[baton] oidc: the rotated upstream refresh token could not be stored; ending the session',
          error,
        )
        await forget(next.sessionId).catch(() => undefined)
        revokeRefreshToken(configuration, next.refreshToken!, config.logger)
        await revoker.revoke(next.sessionId, 'revoked', NO_REQUEST, config.now())
        throw sessionOver()
      }
    }
  }

  /** Refreshes under the lease; waits for another holder's result when it cannot take it. */
  return async function refresh(sessionId: string, expiresAt: number): Promise<string> {
    const deadline = Date.now() + leaseMs + oidcConfig.timeoutMs
    const owner = crypto.randomUUID()
    const lease = `lease:${sessionId}`
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
      if (!(await guardStore(() => stateStore.claim(lease, owner, leaseMs)))) {
        await sleep(50)
        continue
      }
      try {
        // Read again under the lease: the previous holder may have written just before we took it.
        const current = await load(sessionId)
        if (!current) throw noUpstream()
        if (fresh(current)) return current.accessToken
        let configuration: Configuration
        let tokens: Awaited<ReturnType<typeof oidc.refreshTokenGrant>>
        try {
          configuration = await provider()
          tokens = await oidc.refreshTokenGrant(configuration, current.refreshToken!)
        } catch (error) {
          if (error instanceof oidc.ResponseBodyError && error.error === 'invalid_grant') {
            // The provider ended the grant (its session is over): so does the Baton session.
            await forget(sessionId)
            await revoker.revoke(sessionId, 'provider_logout', NO_REQUEST, config.now())
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
        if (await over(sessionId)) throw await ended(sessionId, next, configuration)
        await keep(next, current, expiresAt, configuration)
        // Again once written: a logout between the check above and the write read the old record,
        // so only this check can take the new one back out.
        if (await over(sessionId)) throw await ended(sessionId, next, configuration)
        return next.accessToken
      } finally {
        await stateStore.release(lease, owner).catch(() => undefined)
      }
    }
    // Another instance holds the lease and its provider has not answered it in time.
    throw providerUnavailable(
      new Error('oidc: the upstream refresh lease was not released in time'),
    )
  }
}
