import type { SessionEndCode } from './errors.js'
import type { BaseUser, SessionUser } from './bodies.js'

/**
 * The version of the tab protocol; it is part of the channel name, so tabs running different
 * versions of Baton (a deploy while tabs are open) never read each other's messages.
 */
export const TAB_PROTOCOL_VERSION = 'v2'

/** Why a session ended, as one tab tells the others: the BFF's reason or a sign-out. */
export type TabEndReason = SessionEndCode | 'logged_out'

/** An access token as tabs hand it to each other, with its expiry on the sender's clock. */
export interface TabGrant<TUser extends BaseUser = SessionUser> {
  accessToken: string
  /** Epoch ms (this device's clock; tabs of one browser share it). */
  expiresAt: number
  /** Lifetime in ms. */
  lifetime: number
  /** When a tab received it from the BFF (epoch ms); orders grants from different tabs. */
  issuedAt: number
  /**
   * The session's idle deadline (epoch ms, this device's clock), from the grant's
   * `idleExpiresIn`; absent when the BFF did not send one. Tabs stop refreshing proactively once
   * it would pass, so a session nobody uses ends on time.
   */
  idleExpiresAt?: number
  user: TUser
  sessionId: string
}

/**
 * What tabs say to each other over the BroadcastChannel. BroadcastChannel never delivers a
 * message back to its sender, so messages carry no sender id.
 */
export type TabMessage<TUser extends BaseUser = SessionUser> =
  /** A tab starts: a signed-in peer answers with its grant, a refreshing one with `refreshing`. */
  | { type: 'hello' }
  | { type: 'grant'; grant: TabGrant<TUser>; refreshId?: string }
  | { type: 'refreshing'; refreshId: string }
  | { type: 'logging_out'; refreshId: string }
  /**
   * `retryAfter`: the seconds the BFF asked to wait before the next refresh (its `Retry-After`),
   * which it would refuse from any tab. Tabs of an older Baton leave it out, and ignore it.
   */
  | { type: 'refresh_failed'; refreshId: string; retryAfter?: number }
  | { type: 'ended'; sessionId: string | null; reason: TabEndReason }

/** Every `type` of a {@link TabMessage}. */
export const TAB_MESSAGE_TYPES = [
  'hello',
  'grant',
  'refreshing',
  'logging_out',
  'refresh_failed',
  'ended',
] as const satisfies readonly TabMessage['type'][]
