/**
 * @module
 * `@baton/bff`: a Hono backend-for-frontend that issues short-lived access JWTs, keeps opaque,
 * rotating refresh tokens in HttpOnly cookies, detects their reuse, and publishes a JWKS.
 */
export { createBff } from './app.js'
export type { Bff } from './app.js'
export type { AdminRevocationReason, SessionAdmin } from './admin.js'
export type {
  BffOptions,
  Credentials,
  RefreshCookieOptions,
  RefreshCookieScope,
  SessionInfo,
} from './options.js'
export { requireAuth } from './middleware/require-auth.js'
export type { RequireAuthOptions } from './middleware/require-auth.js'
export type { BffRequireAuthOptions } from './middleware/bff-require-auth.js'
export type { BffEnv, RequireAuthVariables } from './env.js'
export { BffError, isBffError, storeUnavailable } from './errors.js'
export { bffErrorHandler, bffNotFound } from './error-handler.js'
export type { BffErrorHandlerOptions } from './error-handler.js'
export { readJsonBody } from './body.js'
export type { ReadJsonBodyOptions } from './body.js'
export type { BffErrorBody, BffErrorCode } from './errors.js'
export type {
  BffEvent,
  BffEventType,
  CookieConflictEvent,
  CsrfFailedEvent,
  CsrfFailureReason,
  ExpiredEvent,
  LoginEvent,
  LoginFailedEvent,
  LogoutEvent,
  LogoutFailedEvent,
  RefreshEvent,
  ReuseDetectedEvent,
  RevokedEvent,
} from './events.js'
export { createSigningKeys, generateSigningKey } from './tokens/keys.js'
export type {
  SigningAlgorithm,
  SigningKeyInput,
  SigningKeys,
  SigningKeysOptions,
} from './tokens/keys.js'
export type { AccessTokenClaims, JwksSource } from './tokens/access.js'
export { memoryStore } from './stores/memory.js'
export type { MemoryStoreOptions } from './stores/memory.js'
export { isLive, REVOCATION_REASONS, sessionDeadline } from './stores/types.js'
export type {
  RevocationListener,
  RevocationReason,
  SessionRotation,
  SessionStore,
  StoredSession,
} from './stores/types.js'
// Wire types and helpers of `@baton/protocol` that the BFF's own API names, so a server that
// imports `@baton/bff` needs no second import for them.
export { ACTIVITY_HEADER, parseDuration, REFRESH_COOKIE } from '@baton/protocol'
export type { BaseUser, Duration, SessionSummary, SessionUser } from '@baton/protocol'
