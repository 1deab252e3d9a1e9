/**
 * @module
 * `SessionClientOptions` and the adapters they may replace, each with its default, and
 * `ClientConfig`, the resolved form every module reads. Resolving and checking them, once, is
 * `normalize-options.ts`.
 */
import type { Duration } from '@baton/protocol'
import type { ChannelAdapter } from './adapters/channel.js'
import type { DpopKeyStore } from './dpop-keys.js'
import type { LockAdapter } from './adapters/lock.js'
import type { ClientEvent } from './events.js'
import type { WakeAdapter } from './visibility.js'

/**
 * The browser APIs the client depends on, each replaceable (TanStack Query's `focusManager` seam):
 * for tests that simulate a hung lock, a lost message or a wake-up, and for runtimes with other
 * APIs (React Native, WebViews, extensions). Every field defaults to what a browser offers.
 */
export interface ClientAdapters {
  /**
   * Cross-tab mutual exclusion around every call that rotates the refresh cookie.
   * @default Web Locks (`navigator.locks`), else a lock that serialises this JavaScript realm only
   */
  lock?: LockAdapter
  /**
   * Opens the tabs' message bus named `name`; `null` when there is none (the tab then lives alone).
   * @default BroadcastChannel
   */
  channel?: (name: string) => ChannelAdapter | null
  /**
   * Subscribes to "the app may have slept" and returns the unsubscribe.
   * @default `visibilitychange`, `resume`, `online`, `focus`, `pageshow`
   */
  wake?: WakeAdapter
  /**
   * The wall clock, epoch ms.
   * @default Date.now
   */
  now?: () => number
  /**
   * Reads the page's cookies as `document.cookie` spells them, or `null` when unknown; only the
   * companion cookie (`sessionHintCookie`) is looked at.
   * @default `document.cookie`, `null` where there is no document
   */
  cookies?: () => string | null
  /**
   * Where a sign-out the BFF has not confirmed yet is remembered, so that no tab of this browser
   * refreshes the session meanwhile and the next start finishes it (one key, named after
   * `channel`, holding `1` or `everywhere`), and where each tab holding a session marks itself
   * present (one key per tab, `<channel>:v2:tab:<random id>` = `1`), so a tab starting alone
   * refreshes at once instead of asking peers that do not exist. Nothing secret: no token, no
   * session id. The presence keys are read only from a storage with `length` and `key()`;
   * elsewhere a starting tab asks Web Locks instead. `null`: nowhere (a sign-out that fails on
   * the network is then only as durable as the tab, and a starting tab always asks).
   * @default localStorage, `null` where there is none or it throws (sandboxed iframes)
   */
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> | null
  /**
   * Where the session's device key is kept (DPoP, RFC 9449): opens the store named `name` (the
   * `channel`, so each BFF has its own key), which holds one non-extractable ECDSA P-256
   * `CryptoKeyPair`. `null` (or a factory returning `null`): this browser does not bind its
   * sessions, and sends no proofs; a BFF with `binding: 'if_supported'` then makes an unbound
   * session, one with `binding: 'required'` refuses the sign-in (`invalid_dpop_proof`).
   * @default IndexedDB (database `name`), `null` where there is no IndexedDB or WebCrypto
   */
  dpopKeys?: ((name: string) => DpopKeyStore | null) | null
}

/**
 * Options of `createSessionClient`. Every time option is a `Duration`: milliseconds, or a string
 * such as `'30s'`.
 *
 * @example
 * ```ts
 * createSessionClient({
 *   baseUrl: '/api/auth',
 *   refreshMargin: '1m',
 *   onEvent: (event) => console.debug('[baton]', event),
 * })
 * ```
 */
export interface SessionClientOptions {
  /**
   * URL of the BFF's auth routes: a path from the origin's root (`'/auth'`, `'/'` for a BFF at
   * the root), or an absolute URL. A relative one (`'auth'`) is refused with a `TypeError`: it
   * would name another channel on every page.
   * @default '/auth'
   */
  baseUrl?: string
  /**
   * Refresh this long before the access token expires. Capped at half the token's lifetime, so
   * short-lived tokens are not refreshed all the time.
   * @default '30s'
   */
  refreshMargin?: Duration
  /**
   * Name of the BroadcastChannel and Web Lock shared by this app's tabs (one per app and origin).
   * Derived from the resolved `baseUrl` by default, so two Baton apps on one origin with
   * different BFFs never read each other's messages or share a lock.
   * @default `baton:` and the absolute URL of `baseUrl`, e.g. 'baton:https://app.example/auth'
   */
  channel?: string
  /**
   * The origins `fetch` sends the bearer token to (exact origins such as
   * `'https://api.example'`). Requests to any other origin go out untouched, without waiting for
   * a token, and their 401 is an ordinary response. The BFF's own origin (of `baseUrl`) is always
   * allowed, for its session routes.
   * @default the page's origin (and the BFF's)
   *
   * @example
   * ```ts
   * createSessionClient({ tokenOrigins: [location.origin, 'https://api.example'] })
   * ```
   */
  tokenOrigins?: readonly string[]
  /**
   * How long a request may wait for a token while a refresh is in flight or failing; then it
   * rejects with `RefreshNetworkError`. The default outlasts the worst wait for a token while the
   * BFF answers: a refresh lock hung by another tab (a frozen tab) is taken over after twice
   * `requestTimeout`, and the refresh then made takes up to `requestTimeout`. A shorter value is
   * allowed, for a fast failure: requests queued behind a hung lock then reject before the
   * take-over brings its token, which the next requests get.
   * @default 3 × `requestTimeout` + 5 s ('35s')
   */
  queueTimeout?: Duration
  /**
   * How long a request refused with a step-up challenge (RFC 9470) waits for `reauthenticate()`
   * in any tab; then it rejects with `StepUpRequiredError`. Long enough for a person to type a
   * password. (With ky, its own `timeout` covers this wait too.)
   * @default '5m'
   */
  stepUpTimeout?: Duration
  /**
   * How many requests may wait at once; more reject at once with code `queue_full`.
   * @default 500
   */
  maxQueue?: number
  /**
   * Time limit of one call to the BFF's auth routes (more than 0). A refresh never holds the
   * cross-tab lock longer.
   * @default '10s'
   */
  requestTimeout?: Duration
  /**
   * How long a starting tab waits for another tab to hand it the token before it refreshes. It
   * waits only while another tab may hold a session: with Web Locks (`navigator.locks.query`) a
   * tab that finds none refreshes at once.
   * @default 250
   */
  peerTimeout?: Duration
  /**
   * Backoff between refresh attempts that failed on the network: the first delay and the cap.
   * Each delay doubles and is jittered. Both must be more than 0.
   * @default { initial: '1s', max: '30s' }
   */
  retry?: { initial?: Duration; max?: Duration }
  /**
   * Name of the BFF's companion cookie (script-readable, set and cleared with the refresh cookie).
   * When the page can read cookies and this one is missing, the browser holds no session: the
   * client starts `unauthenticated` at once, without a request and without asking other tabs (a
   * signed-in tab would mean the cookie exists). `false` always asks, as where there is no
   * `document`.
   * @default 'baton_session'
   */
  sessionHintCookie?: string | false
  /**
   * The fetch implementation, for every request the client sends (auth routes and `fetch`).
   * @default globalThis.fetch
   */
  fetch?: typeof fetch
  /** Receives what happens in this tab (refreshes, tokens from other tabs, queueing, sign-out). */
  onEvent?: (event: ClientEvent) => void
  /**
   * Where Baton's one-time diagnostics go (missing BroadcastChannel or Web Locks).
   * @default console
   */
  logger?: Pick<Console, 'debug'>
  /**
   * Advanced: replaces the browser APIs the client uses (see {@link ClientAdapters}).
   *
   * @example
   * ```ts
   * // React Native: wake up when the app comes to the foreground.
   * createSessionClient({
   *   adapters: {
   *     wake: (onWake) => {
   *       const subscription = AppState.addEventListener('change', (state) => {
   *         if (state === 'active') onWake()
   *       })
   *       return () => subscription.remove()
   *     },
   *   },
   * })
   * ```
   */
  adapters?: ClientAdapters
}

/** @internal `SessionClientOptions` as `normalizeOptions()` resolved them: defaults applied, times in ms. */
export interface ClientConfig {
  baseUrl: string
  refreshMargin: number
  channel: string
  /**
   * Origins that get the bearer token (`tokenOrigins` or the page's, and the BFF's); `undefined`
   * for one that is unknown (no page), which matches no request.
   */
  tokenOrigins: Array<string | undefined>
  queueTimeout: number
  stepUpTimeout: number
  maxQueue: number
  requestTimeout: number
  peerTimeout: number
  retryInitial: number
  retryMax: number
  sessionHintCookie: string | false
  fetch: typeof fetch
  onEvent: (event: ClientEvent) => void
  logger: Pick<Console, 'debug'>
  adapters: ClientAdapters
  now: () => number
  cookies: () => string | null
}
