/**
 * @module
 * The revocation epoch (`bff.admin.revokeAll()`): one instant before which every session is over
 * and every access token refused, written once instead of revoking sessions one by one.
 *
 * Access tokens say when they were issued in whole seconds (`iat`), so the epoch is kept on a
 * whole second: the first one after the call. Then "created before the epoch" (a session, in ms)
 * and "issued before the epoch" (a token, in s) agree exactly: whatever existed when the call was
 * made is over, whatever is made from that second on is not. A login in the remainder of the
 * current second is over too (its first refresh answers `session_revoked`).
 * @internal
 */
import { guardStore } from './stores/guard.js'
import type { SessionStore } from './stores/types.js'

/** @internal Reads the epoch, a store failure answered as every store read is (`guardStore`). */
export const readRevocationEpoch = (store: Pick<SessionStore, 'getRevocationEpoch'>) =>
  guardStore(() => store.getRevocationEpoch())

/** @internal The epoch that `revokeAll()` at `now` writes: the next whole second. */
export const epochAfter = (now: number) => (Math.floor(now / 1000) + 1) * 1000

/** @internal True for a session the epoch ended. */
export const createdBeforeEpoch = (session: { createdAt: number }, epoch: number) =>
  session.createdAt < epoch

/** @internal True for an access token the epoch ended (`iat` in seconds). */
export const issuedBeforeEpoch = (iat: number, epoch: number) => iat * 1000 < epoch
