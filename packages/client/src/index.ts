/**
 * @module
 * `@baton/client`: session management for single-page apps. The access token stays in memory,
 * refreshes silently before expiry and after a 401, and every tab of the origin shares one
 * refresh (Web Locks + BroadcastChannel). The refresh token never reaches JavaScript: it lives in
 * an HttpOnly cookie set by `@baton/bff`. ky users add `@baton/client/ky`.
 */
export { createSessionClient } from './client.js'
export type { LoginCredentials, SessionClient } from './client.js'
export type { ClientAdapters, SessionClientOptions } from './options.js'
export type { ReadonlySessionStore, SessionState, SessionStatus } from './store.js'
export type { Register, RegisteredUser } from './register.js'
export type { SessionRoutes } from './session-routes.js'
export { BatonError, RefreshNetworkError, SessionExpiredError, isBatonError } from './errors.js'
export type {
  AnyBatonError,
  BatonErrorCode,
  BatonErrorOptions,
  SessionEndReason,
} from './errors.js'
export type { ClientEvent, RefreshTrigger } from './events.js'
export type { ChannelAdapter } from './adapters/channel.js'
export type { LockAdapter } from './adapters/lock.js'
export type { WakeAdapter } from './visibility.js'
export type { Duration, SessionSummary, SessionUser } from '@baton/protocol'
