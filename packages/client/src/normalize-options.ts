/**
 * @module
 * The one place `SessionClientOptions` are checked and resolved into the `ClientConfig` every
 * module reads (the way ky's `normalize.ts` does it): defaults applied, durations parsed, the
 * channel named after the BFF's URL, and a `TypeError` naming the first bad option, thrown by
 * `createSessionClient()` before anything starts.
 */
import { parseDuration, SESSION_HINT_COOKIE, type Duration } from '@baton/protocol'
import { isId } from './grant.js'
import type { ClientConfig, SessionClientOptions } from './options.js'
import { documentCookies } from './session-hint.js'

/** `url` resolved against `base`, `undefined` when that is no URL. */
const urlOf = (url: unknown, base?: string): URL | undefined => {
  try {
    return new URL(url as string, base)
  } catch {
    return undefined
  }
}

/** @internal Applies defaults; throws a `TypeError` naming the first bad option. */
export function normalizeOptions(options: SessionClientOptions = {}): ClientConfig {
  const {
    baseUrl = '/auth',
    maxQueue = 500,
    tokenOrigins,
    retry = {},
    onEvent,
    sessionHintCookie = SESSION_HINT_COOKIE,
    adapters = {},
  } = options
  const check = (valid: boolean, option: string, expected: string, value: unknown) => {
    if (!valid) {
      throw new TypeError(
        `createSessionClient: ${option} must be ${expected}, got ${String(value)}`,
      )
    }
  }
  // `positive` where 0 would harm: a time limit of 0 aborts every call, a backoff of 0 hammers a
  // BFF that is down.
  const duration = (
    value: Duration | undefined,
    fallback: number,
    option: string,
    positive?: boolean,
  ) => {
    const ms =
      value === undefined ? fallback : parseDuration(value, `createSessionClient: ${option}`)
    check(ms > 0 || !positive, option, 'positive', value)
    return ms
  }
  // A path from the origin's root or an absolute URL, never relative to the page: '/' (a BFF at
  // the root) too names one channel, lock and device key for every page.
  check(
    isId(baseUrl) && /^(\/|[a-z][\w+.-]*:)/i.test(baseUrl),
    'baseUrl',
    'absolute or start with "/"',
    baseUrl,
  )
  const page = (globalThis as { location?: Location }).location
  const bff = baseUrl.replace(/\/+$/, '')
  // Without a page (Node), the path stays as it is: the name is still per BFF.
  const resolved = urlOf(bff || '/', page?.href)
  const { channel = `baton:${resolved?.href ?? bff}` } = options
  check(isId(channel), 'channel', 'a non-empty string', channel)
  check(
    tokenOrigins === undefined ||
      (Array.isArray(tokenOrigins) &&
        tokenOrigins.every((origin) => urlOf(origin)?.origin === origin)),
    'tokenOrigins',
    'an array of origins such as "https://api.example"',
    tokenOrigins,
  )
  check(
    sessionHintCookie === false || isId(sessionHintCookie),
    'sessionHintCookie',
    'a non-empty string or false',
    sessionHintCookie,
  )
  check(
    typeof maxQueue === 'number' && maxQueue >= 0 && maxQueue < Infinity,
    'maxQueue',
    'a non-negative number',
    maxQueue,
  )
  check(onEvent === undefined || typeof onEvent === 'function', 'onEvent', 'a function', onEvent)
  const requestTimeout = duration(options.requestTimeout, 10_000, 'requestTimeout', true)
  return {
    baseUrl: bff,
    refreshMargin: duration(options.refreshMargin, 30_000, 'refreshMargin'),
    channel,
    tokenOrigins: [...(tokenOrigins ?? [page?.origin]), resolved?.origin],
    // Outlasts the take-over of a lock another tab hung (2 × requestTimeout), the refresh after it,
    // and the peers waited for before and under the lock (≤ 4 s): the queue gets that refresh's
    // token instead of failing just before it.
    queueTimeout: duration(options.queueTimeout, 3 * requestTimeout + 5_000, 'queueTimeout'),
    stepUpTimeout: duration(options.stepUpTimeout, 300_000, 'stepUpTimeout'),
    maxQueue: Math.floor(maxQueue),
    requestTimeout,
    peerTimeout: duration(options.peerTimeout, 250, 'peerTimeout'),
    retryInitial: duration(retry.initial, 1_000, 'retry.initial', true),
    retryMax: duration(retry.max, 30_000, 'retry.max', true),
    sessionHintCookie,
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    onEvent: (event) => {
      try {
        onEvent?.(event)
      } catch {
        // A listener's bug must not break the session machinery.
      }
    },
    logger: options.logger ?? console,
    adapters,
    now: adapters.now ?? (() => Date.now()),
    cookies: adapters.cookies ?? documentCookies,
  }
}
