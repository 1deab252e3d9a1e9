/**
 * @module
 * `POST {base}/oidc/backchannel-logout` (OpenID Connect Back-Channel Logout 1.0): the provider
 * ended its session and tells the BFF, server to server. The `logout_token` is validated
 * (`backchannel.ts`), accepted once across instances (its `jti`), and every Baton session signed in
 * at that issuer through that provider session (`sid`) or user (`sub`) is revoked through the
 * store, so every instance's `requireAuth()` refuses their tokens at once.
 * @internal
 */
import type { Context } from 'hono'
import { decodeJwt } from 'jose'
import { readBodyText } from '../body.js'
import { BffError, NO_SNIFF } from '../errors.js'
import { requestMeta } from '../request-meta.js'
import { guardStore } from '../stores/guard.js'
import { InvalidLogoutToken, validateLogoutToken, type LogoutTarget } from './backchannel.js'
import { issuerTag, scopedKey } from './issuer-keys.js'
import type { OidcRouteDeps } from './deps.js'
import { providerUnavailable, type Provider } from './provider.js'

/** A logout token is a few hundred bytes; a form beyond this is not one. */
const MAX_LOGOUT_REQUEST_BYTES = 16 * 1024

const invalid = (message: string) => new BffError(400, 'invalid_request', message)

/** The `iat` of an ID token the BFF validated when it stored it; `null` when it cannot be read. */
function issuedAtOf(idToken: string | null | undefined): number | null {
  if (!idToken) return null
  try {
    const { iat } = decodeJwt(idToken)
    return typeof iat === 'number' ? iat : null
  } catch {
    return null
  }
}

/** @internal The handler of `POST /oidc/backchannel-logout`. */
export function backchannelRoute(deps: OidcRouteDeps) {
  const { config, revoker, oidcConfig, stateStore, upstream } = deps

  /**
   * Whether session `id` is a sign-in at the provider after the logout a `sub`-only `target`
   * reports (a late delivery, or a retry once a failure gave the jti back), which that token does
   * not end. Judged on the provider's clock by the `iat` of the ID token its callback got, as the
   * callback judges a logout that came first (`endedBefore`): not by `auth_time`, which a sign-in
   * through the provider's single sign-on carries from before the logout. A record written before
   * that `iat` was kept is judged by its ID token where that was issued no later than the logout
   * (the session existed then, whether the token is the callback's or a refresh's); only then by
   * the BFF's `createdAt`, across the two clocks.
   */
  const signedInAfter = async (id: string, target: LogoutTarget): Promise<boolean> => {
    const record = await upstream.load(id)
    if (typeof record?.signedInAt === 'number') return record.signedInAt > target.issuedAt
    if ((issuedAtOf(record?.idToken) ?? Infinity) <= target.issuedAt) return false
    const session = await guardStore(() => config.store.get(id))
    return session !== null && session.createdAt > target.startedAfter
  }

  return async function backchannelLogout(c: Context): Promise<Response> {
    c.header('cache-control', 'no-store')
    c.header(...NO_SNIFF)
    const type = c.req.header('content-type') ?? ''
    if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
      throw invalid('Expected a form with logout_token.')
    }
    // Read here with its cap, not through Hono's bodyLimit(): that re-wraps the request in the
    // global Request class, a 500 under @hono/node-server without its global override (body.ts).
    const form = new URLSearchParams((await readBodyText(c, MAX_LOGOUT_REQUEST_BYTES)) ?? '')
    const token = form.get('logout_token')
    if (token === null || token === '') throw invalid('logout_token is required.')
    let provider: Provider
    try {
      provider = await deps.provider()
    } catch (cause) {
      throw providerUnavailable(cause)
    }
    let target
    try {
      target = await validateLogoutToken(token, provider.keys, {
        issuer: provider.issuer,
        clientId: oidcConfig.clientId,
        now: config.now(),
      })
    } catch (error) {
      if (error instanceof InvalidLogoutToken) {
        throw invalid(`Invalid logout_token: ${error.message}`)
      }
      // The provider's keys could not be fetched: not the token's fault, and the provider retries.
      throw providerUnavailable(error)
    }
    // Step 6 of §2.6, across instances: a logout token is accepted once. The claim names this
    // request, so that a failure below gives it back and the provider's retry is not refused as a
    // replay of a logout that never happened. `jti` is unique per issuer only.
    const jtiKey = scopedKey.jti(await issuerTag(provider.issuer), target.jti)
    const claimant = crypto.randomUUID()
    const first = await guardStore(() =>
      stateStore.claim(jtiKey, claimant, target.rememberSeconds * 1000),
    )
    if (!first) throw invalid('Invalid logout_token: jti was already used.')
    const meta = requestMeta(config, c)
    const revoked: string[] = []
    const by = target.sid !== null ? { sid: target.sid } : { sub: target.sub! }
    try {
      // Marked before the index is read, while a callback registers its session before it reads
      // the mark (callback.ts): of a sign-in and a logout racing, one always sees the other.
      await upstream.markLoggedOut(
        provider.issuer,
        by,
        target.issuedAt,
        target.rememberSeconds * 1000,
      )
      for (const id of await upstream.sessionsOf(provider.issuer, by)) {
        // A `sid` names one provider session, which cannot have started after its own logout: a
        // later sign-in has another `sid`, so every session indexed under this one is ended.
        // Comparing the BFF's createdAt with the provider's iat here dropped real logouts when
        // the BFF's clock ran ahead. A `sub` names the user, whose sign-ins after the logout the
        // index holds too.
        if (target.sid === null && (await signedInAfter(id, target))) continue
        // Another provider's session (found through the unscoped index of older builds).
        if (!(await upstream.issuedBy(id, provider.issuer))) continue
        // Through the store's revocation: every instance's requireAuth hears it.
        if (await revoker.revoke(id, 'provider_logout', meta, config.now())) revoked.push(id)
        await upstream.forget(id)
      }
    } catch (error) {
      // Revocation is idempotent, so a retry redoes what this attempt did and finishes the rest.
      await stateStore.release(jtiKey, claimant).catch(() => undefined)
      throw error
    }
    config.emit({
      type: 'provider_logout',
      sid: target.sid,
      sub: target.sub,
      sessionIds: revoked,
      at: config.now(),
      ...meta,
    })
    return c.body(null, 200)
  }
}
