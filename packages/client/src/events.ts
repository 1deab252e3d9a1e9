/**
 * @module
 * What `onEvent` reports: this tab's view of the session, for logs and devtools.
 */
import type { BatonErrorCode, SessionEndReason } from './errors.js'

/** Why a refresh started. */
export type RefreshTrigger = 'start' | 'scheduled' | 'expired' | 'unauthorized' | 'wake' | 'retry'

/** Something that happened in this tab. `source: 'peer'` means another tab did it. */
export type ClientEvent =
  | { type: 'refresh-start'; source: 'local' | 'peer'; trigger?: RefreshTrigger }
  | {
      type: 'refresh-end'
      source: 'local' | 'peer'
      ok: boolean
      /** Why it failed: the session's end, or the error's code (`network_unavailable`, …). */
      error?: SessionEndReason | BatonErrorCode
    }
  | { type: 'token-from-peer'; expiresAt: number }
  | { type: 'signed-in'; source: 'local' | 'peer' }
  | { type: 'signed-out'; source: 'local' | 'peer'; reason: SessionEndReason }
  | { type: 'queued'; waiting: number }
  | { type: 'released'; count: number }
  | { type: 'retry-scheduled'; delay: number }
