/**
 * @module
 * The session operations of a {@link SessionStore}: what each shared store keeps in its own
 * `<store>-sessions.ts` (sign-in, read, rotation, revocation, the Devices list), apart from its
 * options, revocation epoch, feed and sub-stores.
 * @internal
 */
import type { SessionStore } from './types.js'

/** @internal The methods of a {@link SessionStore} that work on sessions themselves. */
export type SessionOperations = Pick<
  SessionStore,
  'create' | 'get' | 'rotate' | 'revoke' | 'revokeByUser' | 'listByUser'
>
