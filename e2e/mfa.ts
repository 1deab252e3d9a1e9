/**
 * @module
 * What the second-factor scenarios need beyond the fixtures: the TOTP codes an authenticator app
 * would show (RFC 6238, on `node:crypto`), and Chromium's DevTools virtual authenticator standing
 * in for a platform passkey (Touch ID, Windows Hello).
 */
import { createHmac } from 'node:crypto'
import type { Page } from '@playwright/test'

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
const STEP_MS = 30_000

/**
 * The TOTP code of a base32 `secret` at `now` (RFC 6238 with RFC 4226's truncation: SHA-1, six
 * digits, 30-second steps, as authenticator apps and the BFF compute it).
 */
export function totp(secret: string, now = Date.now()): string {
  let bits = ''
  for (const char of secret.replace(/=+$/, '').toUpperCase()) {
    const value = BASE32.indexOf(char)
    if (value < 0) throw new Error(`Not base32: "${char}"`)
    bits += value.toString(2).padStart(5, '0')
  }
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map((byte) => parseInt(byte, 2)))
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(Math.floor(now / STEP_MS)))
  const hmac = createHmac('sha1', key).update(counter).digest()
  const offset = hmac[hmac.length - 1]! & 0xf
  return String((hmac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0')
}

/** The code of the time step after the current one: still inside the BFF's ±1 step window. */
export const nextTotp = (secret: string): string => totp(secret, Date.now() + STEP_MS)

/** Six digits that are no code of `secret` in the window the BFF accepts around now. */
export function wrongTotp(secret: string): string {
  const valid = new Set([-1, 0, 1, 2].map((step) => totp(secret, Date.now() + step * STEP_MS)))
  for (let n = 0; ; n++) {
    const code = String(n).padStart(6, '0')
    if (!valid.has(code)) return code
  }
}

/**
 * Gives `page` a virtual authenticator (CTAP2, built in, resident keys, user verification that
 * always succeeds), as a laptop's fingerprint reader would be. It belongs to this page's target:
 * a passkey registered here exists only for this page.
 *
 * @returns A function listing the credentials the authenticator holds.
 */
export async function addVirtualAuthenticator(page: Page): Promise<() => Promise<unknown[]>> {
  const cdp = await page.context().newCDPSession(page)
  await cdp.send('WebAuthn.enable')
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
    },
  })
  return async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials
}

/**
 * `url` with `localhost` for its host: browsers refuse WebAuthn on an IP address (its relying
 * party id must be a domain), and the demo's relying party is the page's own host.
 */
export function onLocalhost(url: string): string {
  const local = new URL(url)
  local.hostname = 'localhost'
  return local.href
}
