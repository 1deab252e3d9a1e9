/**
 * @module
 * `@baton/react`: React bindings for Baton. `<SessionProvider client={baton}>` starts the client
 * and `useSession()` reads it through `useSyncExternalStore`. The client's public API is
 * re-exported, so an app installs this one package.
 */
export { SessionProvider } from './session-provider.js'
export type { SessionProviderProps } from './session-provider.js'
export { useSession, useSessionState } from './use-session.js'
export type { UseSessionOptions, UseSessionResult } from './use-session.js'
export { useBatonClient } from './context.js'

// The client's public surface, listed like @baton/client's own index (never its internals).
export {
  BatonError,
  HTTPError,
  RefreshNetworkError,
  SessionExpiredError,
  TimeoutError,
  createSessionClient,
  isBatonError,
} from '@baton/client'
export type {
  BatonErrorCode,
  ClientEvent,
  LoginCredentials,
  ReadonlySessionStore,
  RefreshTrigger,
  SessionClient,
  SessionClientOptions,
  SessionEndReason,
  SessionState,
  SessionStatus,
  SessionUser,
} from '@baton/client'
