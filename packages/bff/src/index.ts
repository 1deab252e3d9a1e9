/**
 * @module
 * `@baton/bff`: a Hono backend-for-frontend that issues short-lived access JWTs, keeps opaque,
 * rotating refresh tokens in HttpOnly cookies, detects their reuse, and publishes a JWKS.
 */
export { createBff } from './app.js'
export type { Bff } from './app.js'
export type { AdminRevocationReason, AdminSessionInfo, SessionAdmin } from './admin.js'
export type { SessionLimitAction, SessionPolicyOptions } from './session-policy-options.js'
export { StepUpRequiredError } from './step-up/challenge.js'
export type { StepUpOptions, StepUpRequirement } from './step-up/challenge.js'
export type { Authenticate, BffOptions, Credentials, SessionInfo } from './options.js'
export type { RefreshCookieOptions, RefreshCookieScope } from './cookie-options.js'
export { requireAuth } from './middleware/require-auth.js'
export type { RequireAuthOptions } from './middleware/require-auth-options.js'
export type { BffRequireAuthOptions } from './middleware/bff-require-auth.js'
export type { BffEnv, RequireAuthVariables } from './env.js'
export { BffError, isBffError, storeUnavailable } from './errors.js'
export { bffErrorHandler, bffNotFound } from './error-handler.js'
export type { BffErrorHandlerOptions } from './error-handler.js'
export { readJsonBody } from './body.js'
export type { ReadJsonBodyOptions } from './body.js'
export type { BffErrorBody, BffErrorCode } from './errors.js'
export type {
  BindingPolicy,
  DpopMode,
  DpopNonceOptions,
  DpopProofOptions,
  RequireAuthDpop,
} from './dpop/options.js'
export type { ProofReplayCache } from './dpop/replay.js'
export type {
  AnomalyDetectedEvent,
  BindingMismatchEvent,
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
  ReauthenticatedEvent,
  ReauthenticateFailedEvent,
  SessionLimitEvent,
  RevokedAllEvent,
} from './events.js'
export type { OidcLoginFailedEvent, ProviderLogoutEvent } from './oidc/events.js'
export type { RateLimitedEvent } from './rate-limit/events.js'
export { RateLimitedError } from './rate-limit/limits.js'
export type {
  AuthenticateConcurrency,
  RateLimitedRoute,
  RateLimitOptions,
  RateLimitRule,
  UsernameRateLimit,
} from './rate-limit/options.js'
export type { RateLimiterBackend, RateLimiterSpec } from './rate-limit/backend.js'
export type { OidcStateStore } from './oidc/state-store.js'
export { MfaRequiredError, ACR_MFA } from './mfa/service.js'
export type { MfaOptions } from './mfa/options.js'
export type {
  FactorStore,
  PasskeyRegistrationBody,
  ReauthenticateFactorBody,
  RecoveryCodesBody,
  StoredFactor,
  StoredPasskey,
  TotpConfirmedBody,
  TotpEnrolmentBody,
} from './mfa/types.js'
export type {
  FactorAddedEvent,
  FactorRemovedEvent,
  MfaChallengedEvent,
  MfaFailedEvent,
} from './mfa/events.js'
export type { TrustProxy } from './rate-limit/trust-proxy.js'
export { ANOMALY_ACTIONS } from './anomaly/types.js'
export type {
  AnomalyAction,
  AnomalyContext,
  AnomalyLimit,
  AnomalyOptions,
  AnomalySignal,
  AppAnomaly,
  BuiltInSignal,
  BuiltInSignalType,
  CustomSignal,
  IpChangedSignal,
  LoginSignalType,
  ManyIpsSignal,
  ManySessionsSignal,
  RefreshSignalType,
  RefreshTooFastSignal,
  UserAgentChangedSignal,
} from './anomaly/types.js'
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
  EpochListener,
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
