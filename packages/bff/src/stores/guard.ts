/**
 * @module
 * The one rule for store failures, shared by the session service (around every store it is given)
 * and the Redis store (around every command): whatever a store throws that is not a `BffError`
 * means its backend is unreachable, and becomes 503 `store_unavailable`.
 * @internal
 */
import { isBffError, storeUnavailable } from '../errors.js'

/**
 * @internal Runs `operation`; a `BffError` passes through as it is (a store may answer with its own
 * status), anything else becomes `storeUnavailable(cause)`, so the client keeps the session and
 * retries instead of signing the user out.
 */
export async function guardStore<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation()
  } catch (error) {
    if (isBffError(error)) throw error
    throw storeUnavailable(error)
  }
}
