/**
 * @module
 * What a presented refresh cookie names: the session it belongs to, if the BFF minted it. Refresh,
 * login (which ends the session it replaces) and logout all start here, so a forgery or an unknown
 * id is treated the same on each of them.
 * @internal
 */
import { guardStore } from './stores/guard.js'
import type { SessionStore, StoredSession } from './stores/types.js'
import {
  hashRefreshToken,
  isAuthentic,
  parseRefreshToken,
  type ParsedRefreshToken,
} from './tokens/refresh.js'

/** @internal A cookie that has the shape of a refresh token, and its hash. */
export interface PresentedToken {
  token: ParsedRefreshToken
  /** SHA-256 of the token, as the store keeps the current and previous ones. */
  hash: string
}

// Not a secret: it only makes the answer for an unknown session id cost the same MAC as the one
// for a forged tag, so timing does not tell the two apart either. A constant rather than random
// bytes because edge runtimes refuse randomness at module scope.
const NO_SESSION_KEY = 'A'.repeat(43)

/** @internal The cookie as a token and its hash, or `null` when it cannot be one of ours. */
export function presentToken(cookie: string | undefined): PresentedToken | null {
  const token = parseRefreshToken(cookie)
  return token ? { token, hash: hashRefreshToken(token.raw) } : null
}

/**
 * @internal The session `presented` belongs to, or `null` when the store does not know its id or
 * the BFF did not mint it. A store failure throws 503 `store_unavailable`.
 */
export async function findFamily(
  store: SessionStore,
  presented: PresentedToken,
): Promise<StoredSession | null> {
  const session = await guardStore(() => store.get(presented.token.sessionId))
  if (!session) {
    isAuthentic(presented.token, NO_SESSION_KEY)
    return null
  }
  // A hash match proves the token is ours; only a stranger needs the (costlier) MAC check.
  const known = presented.hash === session.tokenHash || presented.hash === session.previousTokenHash
  return known || isAuthentic(presented.token, session.tokenKey) ? session : null
}
