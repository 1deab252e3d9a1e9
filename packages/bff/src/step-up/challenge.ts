/**
 * @module
 * Step-up authentication (RFC 9470): what a route demands of the user's last proof of credentials
 * (how recent, `maxAge`; how strong, `acr`), and the `401` challenge when a token falls short:
 * `WWW-Authenticate: Bearer error="insufficient_user_authentication"` with `max_age` and/or
 * `acr_values`, and the body `StepUpErrorBody` (code `step_up_required`) repeating both.
 */
import { parseDuration, type Duration, type StepUpErrorBody } from '@baton/protocol'
import { BffError, NO_SNIFF } from '../errors.js'

/** What a route demands of the authentication behind a token (RFC 9470 §3). */
export interface StepUpOptions {
  /**
   * The longest time since the user last proved who they are (sign-in or `POST /reauthenticate`,
   * the token's `auth_time`) that the route accepts. Older asks for a step-up. Numbers are
   * milliseconds, as for every `Duration` of Baton; the challenge says it in whole seconds, so it
   * must be a whole number of seconds, at least `'1s'`.
   * @default none: any age
   */
  maxAge?: Duration
  /**
   * Authentication context classes the route accepts, any of them (the token's `acr`). A token
   * without `acr` fails it.
   * @default none: any class
   */
  acr?: readonly string[]
}

/** @internal A {@link StepUpOptions} checked once. */
export interface StepUpRequirement {
  maxAgeMs: number | null
  acr: readonly string[] | null
}

/** @internal What the requirement is checked against. */
export interface AuthenticationFacts {
  /** Epoch ms of the last proof of credentials; `null` when the token does not say. */
  authTime: number | null
  acr: string | null
}

// An acr value goes into a quoted-string and a space-separated list: no space, quote, backslash
// or control character (the `scope-token` rule of RFC 6749 §3.3, which RFC 9470 §3 follows).
const ACR_VALUE = /^[\x21\x23-\x5B\x5D-\x7E]+$/

/**
 * @internal Checks {@link StepUpOptions} once, throwing a `TypeError` that starts with `owner`
 * (e.g. `requireAuth`) and names the option.
 */
export function normalizeStepUp(options: StepUpOptions, owner: string): StepUpRequirement {
  let maxAgeMs: number | null = null
  if (options.maxAge !== undefined) {
    maxAgeMs = parseDuration(options.maxAge, `${owner}: maxAge`)
    if (maxAgeMs < 1_000 || maxAgeMs % 1_000 !== 0) {
      throw new TypeError(
        `${owner}: maxAge must be a whole number of seconds, at least "1s", got ` +
          `${JSON.stringify(options.maxAge)} (a number is milliseconds: write "300s" or 300_000)`,
      )
    }
  }
  let acr: readonly string[] | null = null
  if (options.acr !== undefined) {
    const values: unknown = options.acr
    if (!Array.isArray(values) || values.length === 0) {
      throw new TypeError(`${owner}: acr must be a non-empty array of strings`)
    }
    for (const value of values as readonly unknown[]) {
      if (typeof value !== 'string' || !ACR_VALUE.test(value)) {
        throw new TypeError(
          `${owner}: acr value ${JSON.stringify(value)} must be a non-empty string without ` +
            'spaces, quotes or backslashes',
        )
      }
    }
    acr = [...options.acr]
  }
  return { maxAgeMs, acr }
}

/** @internal True when the requirement demands nothing. */
export const demandsNothing = (requirement: StepUpRequirement) =>
  requirement.maxAgeMs === null && requirement.acr === null

/**
 * `401 step_up_required`: the token is valid, but the user proved who they are too long ago or too
 * weakly for this route. The client reauthenticates (`POST {base}/reauthenticate`) and retries.
 * Its response carries the RFC 9470 challenge and a {@link StepUpErrorBody}.
 *
 * @example
 * ```ts
 * app.onError((error) => (isBffError(error) ? error.getResponse() : new Response(null, { status: 500 })))
 * ```
 */
export class StepUpRequiredError extends BffError {
  /** The `max_age` of the challenge, in seconds, if the route demands recency. */
  readonly maxAge: number | undefined
  /** The `acr_values` of the challenge, if the route demands a class. */
  readonly acrValues: readonly string[] | undefined

  constructor(requirement: StepUpRequirement, failed: { age: boolean; acr: boolean }) {
    const message =
      failed.age && failed.acr
        ? 'Stronger and more recent authentication is required.'
        : failed.age
          ? 'More recent authentication is required.'
          : 'A different authentication level is required.'
    const maxAge = requirement.maxAgeMs === null ? undefined : requirement.maxAgeMs / 1000
    const acrValues = requirement.acr ?? undefined
    // Both demands are named whichever one failed, so the client satisfies both in one step-up.
    let challenge = `Bearer error="insufficient_user_authentication", error_description="${message}"`
    if (acrValues) challenge += `, acr_values="${acrValues.join(' ')}"`
    // Quoted, as RFC 9470 §3's own example writes it (a token would be valid too).
    if (maxAge !== undefined) challenge += `, max_age="${maxAge}"`
    super(401, 'step_up_required', message, { headers: { 'www-authenticate': challenge } })
    this.maxAge = maxAge
    this.acrValues = acrValues
  }

  override getResponse(): Response {
    const body: StepUpErrorBody = {
      error: {
        code: 'step_up_required',
        message: this.message,
        ...(this.maxAge === undefined ? {} : { maxAge: this.maxAge }),
        ...(this.acrValues === undefined ? {} : { acrValues: [...this.acrValues] }),
      },
    }
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
 * @internal Throws {@link StepUpRequiredError} when `facts` fall short of `requirement` at `now`.
 * An unknown `authTime` fails any `maxAge`, and `0` (a session told to step up) is older than any.
 */
export function checkStepUp(
  requirement: StepUpRequirement,
  facts: AuthenticationFacts,
  now: number,
): void {
  const age =
    requirement.maxAgeMs !== null &&
    (facts.authTime === null || facts.authTime <= 0 || now - facts.authTime > requirement.maxAgeMs)
  const acr =
    requirement.acr !== null && (facts.acr === null || !requirement.acr.includes(facts.acr))
  if (age || acr) throw new StepUpRequiredError(requirement, { age, acr })
}
