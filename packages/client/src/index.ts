/**
 * @module
 * `@baton/client`: session management for single-page apps. The access token stays in memory,
 * refreshes silently before expiry and after a 401, and every tab of the origin shares one
 * refresh (Web Locks + BroadcastChannel). The refresh token never reaches JavaScript: it lives in
 * an HttpOnly cookie set by `@baton/bff`.
 */
export { createSessionClient } from './client.js'
export type { LoginCredentials, SessionClient } from './client.js'
export type { SessionClientOptions } from './options.js'
export type { ReadonlySessionStore, SessionState, SessionStatus, SessionUser } from './store.js'
export { BatonError, RefreshNetworkError, SessionExpiredError, isBatonError } from './errors.js'
export type { BatonErrorCode, SessionEndReason } from './errors.js'
export type { ClientEvent, RefreshTrigger } from './events.js'
export { HTTPError, TimeoutError } from 'ky'
