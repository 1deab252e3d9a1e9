/**
 * @module
 * TOTP (RFC 6238) through `otpauth`: SHA-1, 6 digits, 30-second steps (what every authenticator
 * app supports), ±1 step of tolerance for clocks and typing, and the time step of the accepted
 * code returned so the store can refuse it a second time (§5.2).
 * @internal
 */
import { Secret, TOTP } from 'otpauth'

/** The step length and tolerance: RFC 6238's recommended 30 s, and one step either side (§5.2). */
const PERIOD = 30
const WINDOW = 1

/** @internal A fresh 160-bit secret (RFC 4226 §4 recommends 160) in base32, as apps take it. */
export const newTotpSecret = () => new Secret({ size: 20 }).base32

/** @internal The `otpauth://totp/…` URI authenticator apps scan as a QR code. */
export const totpUri = (secret: string, issuer: string, account: string) =>
  new TOTP({
    issuer,
    label: account,
    secret: Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: 6,
    period: PERIOD,
  }).toString()

/** @internal The time step `code` is valid for at `now` (±1 step), or `null` for a wrong code. */
export function totpStep(secret: string, code: string, now: number): number | null {
  if (!/^\d{6}$/.test(code)) return null
  const delta = TOTP.validate({
    token: code,
    secret: Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: 6,
    period: PERIOD,
    timestamp: now,
    window: WINDOW,
  })
  return delta === null ? null : TOTP.counter({ period: PERIOD, timestamp: now }) + delta
}
