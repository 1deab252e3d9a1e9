/**
 * @module
 * `@baton/protocol`: the wire contract between `@baton/bff` and `@baton/client`, written once.
 * Error codes, session-end reasons, request and response bodies, header and cookie names, and the
 * messages tabs send each other. Types first: the only runtime is the code lists (from which the
 * unions are derived) and {@link parseDuration}.
 */
export { ERROR_CODES, SESSION_END_CODES, TRANSIENT_CODES } from './errors.js'
export type {
  ErrorBody,
  ErrorCode,
  RateLimitedErrorBody,
  SessionEndCode,
  StepUpErrorBody,
} from './errors.js'
export type {
  BaseUser,
  GrantBody,
  LoginBody,
  LogoutBody,
  OidcLoginBody,
  OidcLoginStartedBody,
  OidcPrompt,
  ReauthenticateBody,
  SessionListBody,
  SessionSummary,
  SessionUser,
} from './bodies.js'
export {
  ACTIVITY_HEADER,
  AUTH_PATH_REFRESH_COOKIE,
  AUTH_ROUTES,
  CSRF_HEADER,
  CSRF_HEADER_VALUE,
  DPOP_HEADER,
  DPOP_NONCE_HEADER,
  OIDC_END_HINT_COOKIE,
  REFRESH_COOKIE,
  SESSION_HINT_COOKIE,
} from './http.js'
export { TAB_MESSAGE_TYPES, TAB_PROTOCOL_VERSION } from './tab-messages.js'
export type { TabEndReason, TabGrant, TabMessage } from './tab-messages.js'
export type {
  FactorListBody,
  FactorMethod,
  FactorSummary,
  LoginMfaBody,
  MfaRequiredErrorBody,
  PasskeyAssertion,
  PasskeyRegistrationBody,
  ReauthenticateFactorBody,
  RecoveryCodesBody,
  TotpConfirmedBody,
  TotpEnrolmentBody,
} from './mfa.js'
export { parseDuration } from './duration.js'
export type { Duration } from './duration.js'
