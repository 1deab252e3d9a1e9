/**
 * @module
 * What the pages send: every request of every watched browser context, with the page that sent
 * it, its status, or why it failed. This is the browser's side of the count; the demo server's
 * request log is the other.
 */
import type { BrowserContext, Page, Request } from '@playwright/test'

/** One request a page sent. */
export interface BrowserRequest {
  page: Page | null
  method: string
  /** Path without the query string. */
  path: string
  /** Epoch ms when the browser reported it. */
  at: number
  /** The response status, once there is one. */
  status: number | null
  /** Chromium's error text when it never got an answer (e.g. `net::ERR_CONNECTION_FAILED`). */
  failure: string | null
}

/** Filters for {@link Traffic.of}. */
export interface TrafficFilter {
  method?: string
  page?: Page
  /** Only requests reported at or after this epoch ms. */
  since?: number
}

/** The requests of the contexts handed to `watch()`. */
export interface Traffic {
  readonly requests: readonly BrowserRequest[]
  watch(context: BrowserContext): void
  /** Requests to `path` (exact), optionally from one page, of one method, after a moment. */
  of(path: string, filter?: TrafficFilter): BrowserRequest[]
  /** `POST /auth/refresh` requests, optionally from one page or after a moment. */
  refreshes(filter?: Omit<TrafficFilter, 'method'>): BrowserRequest[]
}

const pageOf = (request: Request): Page | null => {
  try {
    return request.frame().page()
  } catch {
    // Requests without a frame (service workers) belong to no tab.
    return null
  }
}

/** Creates an empty recorder. */
export function createTraffic(): Traffic {
  const requests: BrowserRequest[] = []
  const entries = new WeakMap<Request, BrowserRequest>()

  const of = (path: string, filter: TrafficFilter = {}) =>
    requests.filter(
      (request) =>
        request.path === path &&
        (filter.method === undefined || request.method === filter.method) &&
        (filter.page === undefined || request.page === filter.page) &&
        (filter.since === undefined || request.at >= filter.since),
    )

  return {
    requests,
    watch(context) {
      context.on('request', (request) => {
        const entry: BrowserRequest = {
          page: pageOf(request),
          method: request.method(),
          path: new URL(request.url()).pathname,
          at: Date.now(),
          status: null,
          failure: null,
        }
        entries.set(request, entry)
        requests.push(entry)
      })
      context.on('response', (response) => {
        const entry = entries.get(response.request())
        if (entry) entry.status = response.status()
      })
      context.on('requestfailed', (request) => {
        const entry = entries.get(request)
        if (entry) entry.failure = request.failure()?.errorText ?? 'failed'
      })
    },
    of,
    refreshes: (filter = {}) => of('/auth/refresh', { ...filter, method: 'POST' }),
  }
}

/**
 * Each request's outcome: its status, Chromium's error text, or `'pending'` while the browser has
 * not reported either yet (poll with `expect.poll` until none is).
 */
export const outcomes = (requests: readonly BrowserRequest[]): Array<number | string> =>
  requests.map(({ status, failure }) => status ?? failure ?? 'pending')
