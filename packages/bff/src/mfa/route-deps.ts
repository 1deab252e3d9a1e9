/**
 * @module
 * What each group of second-factor routes (`factor-routes.ts`, `login-routes.ts`) is built from,
 * made once by `mfaRoutes()` (`routes.ts`), and the request and response helpers they share.
 * @internal
 */
import type { Context, MiddlewareHandler } from 'hono'
import { readJsonBody } from '../body.js'
import { BffError, NO_SNIFF } from '../errors.js'
import type { BffConfig } from '../options.js'
import type { SessionService } from '../session-service.js'
import type { MfaConfig } from './options.js'
import type { Mfa } from './service.js'

/** Passkey registrations carry an attestation object: room for a few kilobytes. */
const MAX_BODY_BYTES = 32 * 1024

/** @internal Everything the route groups need. */
export interface MfaRouteDeps {
  config: BffConfig
  mfaConfig: MfaConfig
  sessions: SessionService
  mfa: Mfa
  /** The `mfa` per-IP budget, charged first by every route. */
  perIp: MiddlewareHandler
  /**
   * Checks a factor answer under the user's budget; a failure counts against it (`401` on the
   * cookie routes, `403` on the bearer ones: see `refusedCode`).
   */
  checked: <T>(c: Context, userId: string, verify: () => Promise<T>) => Promise<T>
}

/** @internal */
export const invalidRequest = (message: string) => new BffError(400, 'invalid_request', message)
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** @internal The body as a JSON object; `{}` for an absent one when it is `optional`. */
export async function readObject(c: Context, optional = false): Promise<Record<string, unknown>> {
  const body = await readJsonBody(c, { maxBytes: MAX_BODY_BYTES })
  if (body === undefined && optional) return {}
  if (!isRecord(body)) throw invalidRequest('Expected a JSON object.')
  return body
}

/** @internal */
export const noStore = (c: Context) => {
  c.header('cache-control', 'no-store')
  c.header(...NO_SNIFF)
}
