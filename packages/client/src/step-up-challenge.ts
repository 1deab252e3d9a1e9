/**
 * @module
 * Reading an RFC 9470 step-up challenge off a `401`, and the one claim of a token that says
 * whether a new grant answers it. Pure functions, no state.
 */
import { isObject } from './grant.js'
import type { StepUpChallenge } from './request-errors.js'

/** RFC 9470 §3: the `error` of a Bearer challenge that asks for a step-up. */
const INSUFFICIENT = 'insufficient_user_authentication'

// An auth-param (RFC 9110 §11.2): `name=token` or `name="quoted \"string\""`.
const PARAM = /([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,"]+))/g

/**
 * The auth-params of the `Bearer` challenge in a `WWW-Authenticate` value, lower-cased names;
 * `null` when there is no Bearer challenge. Parameters of a challenge after it (another scheme)
 * are not mixed in.
 */
export function bearerParams(header: string): Map<string, string> | null {
  const start = /(?:^|[\s,])Bearer(?=\s|,|$)/i.exec(header)
  if (!start) return null
  const params = new Map<string, string>()
  const rest = header.slice(start.index + start[0].length)
  PARAM.lastIndex = 0
  let at = 0
  for (let match = PARAM.exec(rest); match; match = PARAM.exec(rest)) {
    // Anything but commas and spaces before this parameter is the next challenge's scheme.
    if (/[^\s,]/.test(rest.slice(at, match.index))) break
    const name = match[1]!.toLowerCase()
    if (!params.has(name)) params.set(name, match[2]?.replace(/\\(.)/g, '$1') ?? match[3]!)
    at = PARAM.lastIndex
  }
  return params
}

const maxAgeOf = (value: unknown): number | undefined => {
  const seconds = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value
  return typeof seconds === 'number' && Number.isSafeInteger(seconds) && seconds >= 0
    ? seconds
    : undefined
}

const challengeOf = (maxAge: unknown, acrValues: unknown): StepUpChallenge => {
  const challenge: StepUpChallenge = {}
  const seconds = maxAgeOf(maxAge)
  if (seconds !== undefined) challenge.maxAge = seconds
  const acr =
    typeof acrValues === 'string'
      ? acrValues.split(' ').filter(Boolean)
      : Array.isArray(acrValues)
        ? acrValues.filter((value): value is string => typeof value === 'string' && value !== '')
        : []
  if (acr.length > 0) challenge.acrValues = acr
  return challenge
}

/**
 * The step-up challenge of a `WWW-Authenticate` header value (`Bearer
 * error="insufficient_user_authentication", max_age=300, acr_values="…"`), or `null` for any other
 * challenge.
 */
export function challengeFromHeader(header: string | null): StepUpChallenge | null {
  const params = header === null ? null : bearerParams(header)
  if (params?.get('error') !== INSUFFICIENT) return null
  return challengeOf(params.get('max_age'), params.get('acr_values'))
}

/** The step-up challenge of a `StepUpErrorBody` (`{ error: { code: 'step_up_required', … } }`). */
export function challengeFromBody(body: unknown): StepUpChallenge | null {
  const error = isObject(body) ? body.error : undefined
  if (!isObject(error) || error.code !== 'step_up_required') return null
  return challengeOf(error.maxAge, error.acrValues)
}

/**
 * Whether a `401` asks for a step-up: its `WWW-Authenticate` header says so, or, without a Bearer
 * challenge, its JSON body's `error.code` does (a proxy may drop the header). Reads a clone, so the
 * response stays readable.
 */
export async function challengeOfResponse(response: Response): Promise<StepUpChallenge | null> {
  if (response.status !== 401) return null
  const header = response.headers.get('www-authenticate')
  if (header !== null && bearerParams(header) !== null) return challengeFromHeader(header)
  if (!/\bjson\b/i.test(response.headers.get('content-type') ?? '')) return null
  const body: unknown = await response
    .clone()
    .json()
    .catch(() => undefined)
  return challengeFromBody(body)
}

/**
 * A token's `auth_time` (epoch seconds: when the user last proved who they are), read without
 * verifying it (the API verifies; this only tells whether a new grant answers a step-up), or
 * `undefined` when it has none.
 */
export function authTimeOf(token: string | null | undefined): number | undefined {
  try {
    const part = token!.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/')
    const { auth_time: authTime } = JSON.parse(atob(part)) as { auth_time?: unknown }
    return typeof authTime === 'number' && Number.isFinite(authTime) ? authTime : undefined
  } catch {
    return undefined
  }
}
