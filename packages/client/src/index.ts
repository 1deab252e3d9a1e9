/**
 * @module
 * `@baton/client`: session management for single-page apps. The access token stays in memory,
 * refreshes silently before expiry and after a 401, and every tab of the origin shares one
 * refresh (Web Locks + BroadcastChannel). The refresh token never reaches JavaScript: it lives in
 * an HttpOnly cookie set by `@baton/bff`. ky users add `@baton/client/ky`.
 *
 * **Threat model.** Baton is a token-mediating backend (the IETF browser-apps BCP's term): the
 * page holds a short-lived access token, the BFF holds the session. A script running in the
 * app's origin (an XSS, a compromised dependency, another app on the same origin) runs with the
 * page's powers, and no client code can take them back: it can call the BFF as the app does (a
 * refresh hands it a fresh access token, a logout signs the user out), post on the tabs'
 * BroadcastChannel, hold the Web Lock, read `baton_session` and localStorage. What it cannot do is
 * read, copy or replace the refresh token: the cookie is HttpOnly (no script reads or overwrites
 * it), `__Host-` (no sibling subdomain plants one beside it), SameSite=Strict and refreshed only
 * with a custom header the BFF checks against the Origin. So its reach ends when the page closes
 * or the session ends (at the latest at the access token's `exp`), never as a refresh token
 * replayed later from elsewhere; and a refresh token copied anyway is detected as reuse at its
 * next rotation. Within that, the client trusts nothing another context says: tab messages are
 * parsed strictly, a peer's grant must match its own token and may not switch the user without
 * the BFF confirming it, an `ended` is believed only when the browser's cookies agree or the BFF
 * refuses a refresh, refresh announcements are believed for a few seconds at most, the channel
 * and lock are per BFF URL, and the bearer token goes only to `tokenOrigins`.
 */
export { createSessionClient } from './client.js'
export type {
  LoginCredentials,
  LogoutOptions,
  ReauthenticateCredentials,
  SessionClient,
} from './client.js'
export type { LoginRedirectOptions } from './sign-out.js'
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
  SubclassCode,
} from './errors.js'
export { MfaRequiredError, RateLimitedError, StepUpRequiredError } from './request-errors.js'
export type { FactorProof, MfaChallenge, StepUpChallenge } from './request-errors.js'
export type { ClientEvent, RefreshTrigger } from './events.js'
export type { ChannelAdapter } from './adapters/channel.js'
export type { DpopKeyStore } from './dpop-keys.js'
export type { LockAdapter } from './adapters/lock.js'
export type { WakeAdapter } from './visibility.js'
export type {
  BaseUser,
  Duration,
  FactorMethod,
  FactorSummary,
  PasskeyAssertion,
  SessionSummary,
  SessionUser,
} from '@baton/protocol'
