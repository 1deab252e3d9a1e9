/**
 * @module
 * What `onEvent` reports: this tab's view of the session, for logs and devtools. Types are
 * snake_case, like the BFF's events.
 */
import type { BatonErrorCode, SessionEndReason } from './errors.js'

/**
 * Why a refresh started. Whether it counts as the user's activity for the BFF's idle timeout
 * does not depend on the trigger but on what the tab saw since its last refresh that counted:
 * a request through `fetch` / `getAccessToken` (waiting for a token or not) or a tab start. So
 * `start`, `expired` (a request waits for a token), `unauthorized` (a request got a 401) and
 * `activity` always count; `scheduled`, `wake`, `retry` and `verify` only after such a request.
 * - `activity`: a request inside the last margin before the idle deadline, which an idle tab
 *   lets pass without refreshing, so the request's activity reaches the BFF in time.
 * - `verify`: another tab said the session ended or switched user, and the BFF is asked.
 */
export type RefreshTrigger =
  'start' | 'scheduled' | 'expired' | 'unauthorized' | 'wake' | 'retry' | 'activity' | 'verify'

/**
 * Something that happened in this tab. `source: 'peer'` means another tab did it.
 *
 * @example
 * ```ts
 * createSessionClient({
 *   onEvent: (event) => {
 *     if (event.type === 'signed_out' && event.reason === 'refresh_token_reused') reportTheft()
 *   },
 * })
 * ```
 */
export type ClientEvent =
  | { type: 'refresh_start'; source: 'local' | 'peer'; trigger?: RefreshTrigger }
  | {
      type: 'refresh_end'
      source: 'local' | 'peer'
      ok: boolean
      /** Why it failed: the session's end, or the error's code (`network_unavailable`, …). */
      error?: SessionEndReason | BatonErrorCode
    }
  | { type: 'token_from_peer'; expiresAt: number }
  | { type: 'signed_in'; source: 'local' | 'peer' }
  | { type: 'signed_out'; source: 'local' | 'peer'; reason: SessionEndReason }
  | { type: 'queued'; waiting: number }
  | { type: 'released'; count: number }
  | { type: 'retry_scheduled'; delay: number }
  /** An API route asked for a step-up (RFC 9470): requests wait for `reauthenticate()`. */
  | { type: 'step_up_required'; maxAge?: number; acrValues?: string[] }
  /**
   * The step-up is over: `ok` when a grant with a newer sign-in came (`source: 'peer'` when
   * another tab's step-up brought it) and the waiting requests were retried; otherwise they were
   * rejected (cancelled, timed out, aborted, or the session ended).
   */
  | { type: 'step_up_end'; ok: boolean; source: 'local' | 'peer' }
