/**
 * @module
 * `MfaOptions` (second factors for password sign-in), their defaults and their normalisation:
 * checked once, when `createBff` runs, with a `TypeError` naming the option.
 */
import { parseDuration, type Duration } from '@baton/protocol'
import { base64url } from 'jose'
import type { SessionStore } from '../stores/types.js'
import type { FactorStore } from './types.js'

/**
 * Second factors for password sign-in: TOTP (RFC 6238), recovery codes and passkeys (WebAuthn
 * Level 3). With this option a user who enrolled a factor gets `401 mfa_required` from password
 * login and completes it at `POST {base}/login/mfa`; passkeys also sign in without a password.
 */
export interface MfaOptions {
  /**
   * The AES-256-GCM key that seals TOTP secrets at rest: 32 bytes, as a `Uint8Array` or base64url
   * (`openssl rand -base64 32 | tr '+/' '-_' | tr -d '='`). A list rotates keys: the first seals
   * new secrets, every one opens old ones. Keep it out of the database the store writes to.
   */
  encryptionKey: string | Uint8Array | readonly (string | Uint8Array)[]
  /**
   * The issuer authenticator apps show beside the account name.
   * @default the BFF's `issuer` ('baton')
   */
  issuer?: string
  /**
   * The WebAuthn relying party id: the registrable domain passkeys are bound to.
   * @default the host name of the first of `origins`, else of the request
   */
  rpId?: string
  /**
   * The name passkey prompts show.
   * @default `issuer`
   */
  rpName?: string
  /**
   * The origins a passkey ceremony may come from (the `origin` in its client data).
   * @default `allowedOrigins` when it is a list, else the request's own origin
   */
  origins?: readonly string[]
  /**
   * How long the ticket of `401 mfa_required` stays usable.
   * @default '5m'
   */
  ticketTtl?: Duration
  /**
   * Wrong codes a ticket takes: the last of them ends it (the user signs in again).
   * @default 5
   */
  maxTicketTries?: number
  /**
   * How long a WebAuthn challenge stays usable.
   * @default '2m'
   */
  challengeTtl?: Duration
  /**
   * Sign-in with a passkey alone (`POST {base}/login/passkey`); `false` keeps passkeys a second
   * factor only.
   * @default true
   */
  passkeyLogin?: boolean
}

/** @internal `MfaOptions` after defaults. */
export interface MfaConfig {
  keys: Uint8Array<ArrayBuffer>[]
  issuer: string
  rpId: string | null
  rpName: string
  origins: readonly string[] | null
  ticketTtlMs: number
  maxTicketTries: number
  challengeTtlMs: number
  passkeyLogin: boolean
  factors: FactorStore
}

const invalid = (message: string) => new TypeError(`createBff: mfa.${message}`)

function keyBytes(value: unknown): Uint8Array<ArrayBuffer> {
  let bytes: Uint8Array
  if (value instanceof Uint8Array) bytes = value
  else if (typeof value === 'string') {
    try {
      bytes = base64url.decode(value.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''))
    } catch {
      throw invalid('encryptionKey must be base64url (or base64) of 32 bytes')
    }
  } else throw invalid('encryptionKey must be a string, a Uint8Array or a list of them')
  if (bytes.length !== 32) {
    throw invalid(`encryptionKey must be 32 bytes (AES-256), got ${bytes.length}`)
  }
  return new Uint8Array(bytes)
}

/** @internal Applies defaults; `null` when MFA is off (no `mfa` option). */
export function normalizeMfa(
  options: MfaOptions | undefined,
  context: {
    issuer: string
    allowedOrigins: unknown
    store: SessionStore
  },
): MfaConfig | null {
  if (options === undefined) return null
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createBff: mfa must be an object { encryptionKey, … }')
  }
  if (options.encryptionKey === undefined) {
    throw invalid('encryptionKey is required: TOTP secrets are never stored unencrypted')
  }
  const raw = options.encryptionKey
  const list: readonly unknown[] = Array.isArray(raw) ? raw : [raw]
  if (list.length === 0) throw invalid('encryptionKey must not be an empty list')
  const keys = list.map(keyBytes)

  const issuer = options.issuer ?? context.issuer
  if (typeof issuer !== 'string' || issuer === '' || issuer.includes(':')) {
    throw invalid('issuer must be a non-empty string without ":"')
  }
  let origins: readonly string[] | null = null
  if (options.origins !== undefined) {
    if (!Array.isArray(options.origins) || options.origins.length === 0) {
      throw invalid('origins must be a non-empty list of origins')
    }
    origins = options.origins
  } else if (Array.isArray(context.allowedOrigins) && context.allowedOrigins.length > 0) {
    origins = context.allowedOrigins as readonly string[]
  }
  for (const origin of origins ?? []) {
    if (typeof origin !== 'string' || !URL.canParse(origin) || new URL(origin).origin !== origin) {
      throw invalid(`origins: "${String(origin)}" is not an origin like "https://app.example"`)
    }
  }
  const rpId = options.rpId ?? (origins ? new URL(origins[0]!).hostname : null)
  if (rpId !== null && (typeof rpId !== 'string' || !/^[a-z0-9.-]+$/i.test(rpId))) {
    throw invalid('rpId must be a host name such as "example.com"')
  }
  const rpName = options.rpName ?? issuer
  if (typeof rpName !== 'string' || rpName === '')
    throw invalid('rpName must be a non-empty string')

  const duration = (value: Duration, option: string) => {
    const ms = parseDuration(value, `createBff: mfa.${option}`)
    if (ms < 1_000) throw invalid(`${option} must be at least 1s`)
    return ms
  }
  const maxTicketTries = options.maxTicketTries ?? 5
  if (!Number.isInteger(maxTicketTries) || maxTicketTries < 1) {
    throw invalid('maxTicketTries must be a whole number of at least 1')
  }
  const passkeyLogin = options.passkeyLogin ?? true
  if (typeof passkeyLogin !== 'boolean') throw invalid('passkeyLogin must be a boolean')

  const factors = context.store.factorStore?.()
  if (!factors) {
    throw new TypeError(
      'createBff: mfa needs a store with factorStore() (every built-in store has it)',
    )
  }
  return {
    keys,
    issuer,
    rpId,
    rpName,
    origins,
    ticketTtlMs: duration(options.ticketTtl ?? '5m', 'ticketTtl'),
    maxTicketTries,
    challengeTtlMs: duration(options.challengeTtl ?? '2m', 'challengeTtl'),
    passkeyLogin,
    factors,
  }
}
