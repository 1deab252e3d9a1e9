/**
 * @module
 * Stateless DPoP nonces (RFC 9449 §8): a nonce is the number of a time window and an HMAC of it,
 * so any instance holding the secret can mint and check one without storage. Web Crypto only, so
 * the core still runs on edge runtimes.
 * @internal
 */
import { parseDuration, type Duration } from '@baton/protocol'
import { base64url } from 'jose'

/** @internal Mints and checks nonces. */
export interface Nonces {
  /** The nonce to hand out at `now`. */
  current(now: number): Promise<string>
  /** True for a nonce of the window of `now` or the one before. */
  check(nonce: string, now: number): Promise<boolean>
}

const encoder = new TextEncoder()
const NONCE = /^([0-9a-z]{1,12})\.([A-Za-z0-9_-]{43})$/

/** Compares two strings in time that depends only on their length. */
function sameString(a: string, b: string): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}

/** @internal Validates the options and returns the minter; `where` names the option. */
export function createNonces(
  options: { secret: string | Uint8Array; lifetime?: Duration },
  where: string,
): Nonces {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${where} must be false or an object { secret, lifetime? }`)
  }
  const { secret } = options
  const raw =
    typeof secret === 'string'
      ? encoder.encode(secret)
      : secret instanceof Uint8Array
        ? secret
        : null
  if (raw === null || raw.length < 32) {
    throw new TypeError(`${where}.secret must be at least 32 bytes (or a string of 32 characters)`)
  }
  const lifetimeMs = parseDuration(options.lifetime ?? '5m', `${where}.lifetime`)
  if (lifetimeMs < 1_000) throw new TypeError(`${where}.lifetime must be at least 1s`)
  const key = globalThis.crypto.subtle.importKey(
    'raw',
    new Uint8Array(raw),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  const mac = async (window: number) =>
    base64url.encode(
      new Uint8Array(
        await globalThis.crypto.subtle.sign(
          'HMAC',
          await key,
          encoder.encode(`baton-dpop-nonce.${window}`),
        ),
      ),
    )
  // One HMAC per window, not per response.
  let cached: { window: number; nonce: Promise<string> } | null = null
  const windowOf = (now: number) => Math.floor(now / lifetimeMs)

  return {
    current(now) {
      const window = windowOf(now)
      if (cached?.window !== window) {
        cached = { window, nonce: mac(window).then((tag) => `${window.toString(36)}.${tag}`) }
      }
      return cached.nonce
    },
    async check(nonce, now) {
      const match = NONCE.exec(nonce)
      if (!match) return false
      const window = parseInt(match[1]!, 36)
      const current = windowOf(now)
      if (window !== current && window !== current - 1) return false
      return sameString(match[2]!, await mac(window))
    },
  }
}
