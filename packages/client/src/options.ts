/**
 * @module
 * `SessionClientOptions`, their defaults, and the one place they are checked.
 */
import type { Options as KyOptions } from 'ky'
import type { ClientEvent } from './events.js'

/** Options of `createSessionClient`. */
export interface SessionClientOptions {
  /**
   * URL of the BFF's auth routes (relative to the page, or absolute).
   * @default '/auth'
   */
  baseUrl?: string
  /**
   * Refresh this long before the access token expires (ms). Capped at half the token's lifetime,
   * so short-lived tokens are not refreshed all the time.
   * @default 30_000
   */
  refreshMargin?: number
  /**
   * Name of the BroadcastChannel and Web Lock shared by this app's tabs (one per app and origin).
   * @default 'baton'
   */
  channel?: string
  /** Options for the `api` ky instance, e.g. `{ prefixUrl: '/api' }`. */
  api?: KyOptions
  /**
   * How long a request may wait for a token while a refresh is in flight or failing (ms); then it
   * rejects with `RefreshNetworkError`.
   * @default 15_000
   */
  queueTimeout?: number
  /**
   * How many requests may wait at once; more reject at once with code `queue_full`.
   * @default 500
   */
  maxQueue?: number
  /**
   * Time limit of one call to the BFF (ms). A refresh never holds the cross-tab lock longer.
   * @default 10_000
   */
  requestTimeout?: number
  /**
   * How long a starting tab waits for another tab to hand it the token before it refreshes (ms).
   * @default 250
   */
  peerTimeout?: number
  /**
   * Backoff between refresh attempts that failed on the network: the first delay and the cap (ms).
   * Each delay doubles and is jittered.
   * @default { initial: 1_000, max: 30_000 }
   */
  retry?: { initial?: number; max?: number }
  /** The fetch implementation (for tests and non-browser runtimes). @default globalThis.fetch */
  fetch?: typeof fetch
  /** Receives what happens in this tab (refreshes, tokens from other tabs, queueing, sign-out). */
  onEvent?: (event: ClientEvent) => void
  /**
   * Where Baton's one-time diagnostics go (missing BroadcastChannel or Web Locks).
   * @default console
   */
  logger?: Pick<Console, 'debug'>
}

/** @internal */
export interface ClientConfig {
  baseUrl: string
  refreshMargin: number
  channel: string
  api: KyOptions
  queueTimeout: number
  maxQueue: number
  requestTimeout: number
  peerTimeout: number
  retryInitial: number
  retryMax: number
  fetch: typeof fetch
  onEvent: (event: ClientEvent) => void
  logger: Pick<Console, 'debug'>
}

const invalid = (option: string, expected: string, value: unknown) =>
  new TypeError(`createSessionClient: ${option} must be ${expected}, got ${String(value)}`)

function nonNegative(value: number | undefined, fallback: number, option: string): number {
  const result = value ?? fallback
  if (typeof result !== 'number' || !(result >= 0) || result === Infinity) {
    throw invalid(option, 'a non-negative number', value)
  }
  return result
}

/** @internal Applies defaults; throws a `TypeError` naming the first bad option. */
export function normalizeOptions(options: SessionClientOptions = {}): ClientConfig {
  const { baseUrl = '/auth', channel = 'baton', onEvent } = options
  if (typeof baseUrl !== 'string' || !baseUrl)
    throw invalid('baseUrl', 'a non-empty string', baseUrl)
  if (typeof channel !== 'string' || !channel)
    throw invalid('channel', 'a non-empty string', channel)
  if (onEvent !== undefined && typeof onEvent !== 'function') {
    throw invalid('onEvent', 'a function', onEvent)
  }
  const maxQueue = nonNegative(options.maxQueue, 500, 'maxQueue')
  return {
    baseUrl: baseUrl.replace(/\/+$/, ''),
    refreshMargin: nonNegative(options.refreshMargin, 30_000, 'refreshMargin'),
    channel,
    api: options.api ?? {},
    queueTimeout: nonNegative(options.queueTimeout, 15_000, 'queueTimeout'),
    maxQueue: Math.floor(maxQueue),
    requestTimeout: nonNegative(options.requestTimeout, 10_000, 'requestTimeout'),
    peerTimeout: nonNegative(options.peerTimeout, 250, 'peerTimeout'),
    retryInitial: nonNegative(options.retry?.initial, 1_000, 'retry.initial'),
    retryMax: nonNegative(options.retry?.max, 30_000, 'retry.max'),
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    onEvent: onEvent
      ? (event) => {
          try {
            onEvent(event)
          } catch {
            // A listener's bug must not break the session machinery.
          }
        }
      : () => {},
    logger: options.logger ?? console,
  }
}
