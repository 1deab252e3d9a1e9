/**
 * @module
 * The BFF's one error class. Every failure a client can see is a `BffError` with an HTTP status and
 * a stable, snake_case `code`; the JSON body is always `{ "error": { "code", "message" } }`.
 */
import type { ErrorBody, ErrorCode } from '@baton/protocol'

/**
 * Every `error.code` the BFF can answer with: {@link ErrorCode} of `@baton/protocol`, the list
 * `@baton/client` reads too, under the name this package has always exported.
 */
export type BffErrorCode = ErrorCode

/** The JSON body of every error response: {@link ErrorBody} of `@baton/protocol`. */
export type BffErrorBody = ErrorBody

/**
 * @internal `X-Content-Type-Options: nosniff`, on every JSON answer of the BFF: a browser must
 * never render one as HTML or run it as a script, whatever an attacker got into its text.
 */
export const NO_SNIFF = ['x-content-type-options', 'nosniff'] as const

/**
 * An error with an HTTP status and a stable code, turned into a JSON response by the app's
 * `onError` (which survives mounting the BFF inside another Hono app).
 *
 * @example
 * ```ts
 * throw new BffError(401, 'session_expired', 'The session has ended; sign in again.')
 * ```
 */
export class BffError extends Error {
  override readonly name = 'BffError'
  /** The HTTP status of the response. */
  readonly status: number
  /** The stable `error.code` of the response body. */
  readonly code: ErrorCode
  /** Extra response headers (`WWW-Authenticate`, `Retry-After`, a cleared cookie). */
  readonly headers: Readonly<Record<string, string>>

  constructor(
    status: number,
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.status = status
    this.code = code
    this.headers = options?.headers ?? {}
  }

  /** The JSON response for this error. */
  getResponse(): Response {
    const body: ErrorBody = { error: { code: this.code, message: this.message } }
    return new Response(JSON.stringify(body), {
      status: this.status,
      headers: {
        'content-type': 'application/json; charset=UTF-8',
        [NO_SNIFF[0]]: NO_SNIFF[1],
        ...this.headers,
      },
    })
  }
}

/**
 * True for a {@link BffError}, also across module copies (checked by name and shape).
 *
 * @example
 * ```ts
 * app.onError((error, c) => (isBffError(error) ? error.getResponse() : c.json({ error: 'oops' }, 500)))
 * ```
 */
export const isBffError = (value: unknown): value is BffError =>
  value instanceof BffError ||
  (value instanceof Error &&
    value.name === 'BffError' &&
    typeof (value as Partial<BffError>).code === 'string' &&
    typeof (value as Partial<BffError>).status === 'number')

/**
 * The error a {@link SessionStore} throws when it cannot reach its backend: 503
 * `store_unavailable`. The client treats it as a network failure, never as a logout.
 *
 * @example
 * ```ts
 * async get(id) {
 *   try {
 *     return await db.find(id)
 *   } catch (cause) {
 *     throw storeUnavailable(cause)
 *   }
 * }
 * ```
 */
export const storeUnavailable = (cause: unknown): BffError =>
  new BffError(503, 'store_unavailable', 'The session store is unavailable; try again shortly.', {
    cause,
    headers: { 'retry-after': '1' },
  })
