/**
 * @module
 * `@baton/react`: React bindings for Baton. `<SessionProvider client={baton}>` starts the client
 * and `useSession()` reads it through `useSyncExternalStore`. The client's public API is
 * re-exported, so an app installs this one package; its ky support is the `@baton/react/ky`
 * subpath. Declare the app's user type once, for every hook:
 *
 * ```ts
 * declare module '@baton/react' {
 *   interface Register {
 *     user: User
 *   }
 * }
 * ```
 */
export { SessionProvider } from './session-provider.js'
export type { SessionProviderProps } from './session-provider.js'
export { useSession, useSessionState } from './use-session.js'
export type { UseSessionOptions, UseSessionResult } from './use-session.js'
export { useBatonClient } from './context.js'
export { useMfa } from './use-mfa.js'
export type { UseMfaResult } from './use-mfa.js'

// The client's public surface, listed like @baton/client's own index (never its internals).
export {
  BatonError,
  MfaRequiredError,
  RateLimitedError,
  RefreshNetworkError,
  SessionExpiredError,
  StepUpRequiredError,
  createSessionClient,
  isBatonError,
} from '@baton/client'
export type {
  AnyBatonError,
  BaseUser,
  BatonErrorCode,
  BatonErrorOptions,
  ChannelAdapter,
  ClientAdapters,
  ClientEvent,
  DpopKeyStore,
  Duration,
  FactorMethod,
  FactorProof,
  FactorSummary,
  LockAdapter,
  LoginCredentials,
  LoginRedirectOptions,
  LogoutOptions,
  MfaChallenge,
  PasskeyAssertion,
  ReadonlySessionStore,
  ReauthenticateCredentials,
  RefreshTrigger,
  Register,
  RegisteredUser,
  SessionClient,
  SessionClientOptions,
  SessionEndReason,
  SessionRoutes,
  SessionState,
  SessionStatus,
  SessionSummary,
  SessionUser,
  StepUpChallenge,
  SubclassCode,
  WakeAdapter,
} from '@baton/client'
