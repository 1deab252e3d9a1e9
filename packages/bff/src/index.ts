/**
 * @module
 * `@baton/bff`: a Hono backend-for-frontend that issues short-lived access JWTs, keeps opaque,
 * rotating refresh tokens in HttpOnly cookies, detects their reuse, and publishes a JWKS.
 */
export { createBff } from './app.js'
export type { BffOptions, Credentials, RefreshCookieOptions } from './options.js'
export { requireAuth } from './middleware/require-auth.js'
export type { RequireAuthOptions } from './middleware/require-auth.js'
export type { BffEnv, RequireAuthVariables } from './env.js'
export type { SessionSummary } from './session-service.js'
export { BffError, isBffError, storeUnavailable } from './errors.js'
export { readJsonBody } from './body.js'
export type { ReadJsonBodyOptions } from './body.js'
export type { BffErrorBody, BffErrorCode } from './errors.js'
export type {
  BffEvent,
  BffEventType,
  ExpiredEvent,
  LoginEvent,
  LoginFailedEvent,
  LogoutEvent,
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
export { isLive, sessionDeadline } from './stores/types.js'
export type {
  RevocationListener,
  RevocationReason,
  SessionRotation,
  SessionStore,
  SessionUser,
  StoredSession,
} from './stores/types.js'
export { parseDuration } from './duration.js'
export type { Duration } from './duration.js'
