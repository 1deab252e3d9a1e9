/**
 * @module
 * `validateSession`, asked before every token the session protocol issues: on refresh and on a
 * step-up (`POST /reauthenticate`), which hands out a grant just as refresh does.
 * @internal
 */
import type { Context } from 'hono'
import type { BffConfig } from './options.js'
import type { RequestMeta } from './request-meta.js'
import { sessionCheckFailed, userInvalid } from './session-errors.js'
import { sessionInfo } from './session-info.js'
import type { Revoker } from './session-revocation.js'
import type { StoredSession } from './stores/types.js'

/** @internal */
export function createSessionValidation(
  config: Pick<BffConfig, 'validateSession' | 'now'>,
  revoker: Revoker,
) {
  /**
   * Asks `validateSession` whether the session may go on; a refusal revokes it and throws
   * `401 session_revoked`, a failure throws 503 and ends nothing.
   */
  return async function checkWithApplication(
    session: StoredSession,
    request: { context: Context; meta: RequestMeta },
  ): Promise<void> {
    const validate = config.validateSession
    if (!validate) return
    let verdict: unknown
    try {
      verdict = await validate(sessionInfo(session), request.context)
    } catch (cause) {
      throw sessionCheckFailed(cause)
    }
    if (verdict === true) return
    if (verdict !== false) {
      // Neither pass nor refusal: most likely a missing `return`. Passing would let a disabled
      // user through, refusing would sign everybody out; the log says what to fix.
      throw sessionCheckFailed(
        new TypeError(`validateSession must resolve to true or false, got ${String(verdict)}`),
      )
    }
    await revoker.revoke(session.id, 'user_invalid', request.meta, config.now())
    throw userInvalid()
  }
}
