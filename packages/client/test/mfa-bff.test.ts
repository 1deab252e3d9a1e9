/**
 * Second factors against the real `@baton/bff` (`createBff({ mfa })`): TOTP enrolment, the
 * sign-in that asks for it, a replayed code, a recovery code, and a factor's removal answered by a
 * step-up with a code. Codes are computed here (RFC 6238) on the fake clock the BFF shares.
 */
import { createHmac } from 'node:crypto'
import { MfaRequiredError, SessionExpiredError } from '@baton/client'
import { createFactors } from '@baton/client/mfa'
import { beforeEach, describe, expect, it } from 'vitest'
import { advance, drain, run, signedInTabs, useBrowser } from './harness'

const env = useBrowser()
beforeEach(() => env.restart({ mfa: { encryptionKey: new Uint8Array(32).fill(7) } }))

const alice = { username: 'alice', password: 'alice-pw' }

/**
 * The TOTP code of a base32 `secret` at `now` (RFC 6238 with RFC 4226's truncation: SHA-1, six
 * digits, 30-second steps, as authenticator apps and the BFF compute it).
 */
export function totp(secret: string, now = Date.now()): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = ''
  for (const char of secret.replace(/=+$/, '').toUpperCase())
    bits += alphabet.indexOf(char).toString(2).padStart(5, '0')
  const key = Buffer.from(bits.match(/.{8}/g)!.map((byte) => parseInt(byte, 2)))
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(Math.floor(now / 30_000)))
  const hmac = createHmac('sha1', key).update(counter).digest()
  const offset = hmac[hmac.length - 1]! & 0xf
  return String((hmac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0')
}

describe('the RFC 6238 helper', () => {
  it('matches the RFC’s SHA-1 test vectors (last six digits)', () => {
    const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' // "12345678901234567890"
    expect(totp(secret, 59_000)).toBe('287082')
    expect(totp(secret, 1_111_111_109_000)).toBe('081804')
    expect(totp(secret, 2_000_000_000_000)).toBe('279037')
  })
})

/** Alice signed in, with a confirmed authenticator app; its secret and recovery codes. */
async function aliceWithTotp() {
  const [tab] = await signedInTabs(env.browser, 1)
  const factors = createFactors(tab!.client)
  const { id, secret, uri } = await run(factors.enrollTotp({ label: 'Phone' }))
  expect(uri).toMatch(/^otpauth:\/\/totp\//)
  const confirmed = await run(factors.confirmTotp(id, totp(secret)))
  expect(confirmed.factor).toMatchObject({ id, method: 'totp', label: 'Phone' })
  return { tab: tab!, factors, id, secret, recoveryCodes: confirmed.recoveryCodes! }
}

/** Signs out, then in with the password: the second-factor error. */
async function passwordStep(tab: Awaited<ReturnType<typeof aliceWithTotp>>['tab']) {
  await run(tab.client.logout())
  const error: unknown = await run(tab.client.login(alice)).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(MfaRequiredError)
  return error as MfaRequiredError
}

describe('TOTP with @baton/bff', () => {
  it('enrols, then a password sign-in asks for it, and a code finishes it', async () => {
    const { tab, recoveryCodes, secret } = await aliceWithTotp()
    expect(recoveryCodes).toHaveLength(10)
    const error = await passwordStep(tab)
    expect(error.methods).toEqual(['totp', 'recovery_code'])
    expect(error.expiresAt).toBe(Date.now() + 300_000)
    expect(tab.client.store.getState().status).toBe('unauthenticated')
    // The code that confirmed the enrolment is spent: the next step's code signs in.
    await advance(30_000)
    const user = await run(error.complete({ method: 'totp', code: totp(secret) }))
    expect(user).toEqual({ id: 'u-alice', name: 'Alice' })
    expect(tab.client.store.getState().status).toBe('authenticated')
    expect((await run(tab.client.fetch('http://app.test/api/me'))).status).toBe(200)
  })

  it('refuses a replayed code; the ticket stays usable for the next one', async () => {
    const { tab, secret } = await aliceWithTotp()
    const error = await passwordStep(tab)
    const replay: unknown = await run(error.complete({ method: 'totp', code: totp(secret) })).catch(
      (e: unknown) => e,
    )
    expect(replay).toMatchObject({ code: 'invalid_credentials', status: 401 })
    await advance(30_000)
    await run(error.complete({ method: 'totp', code: totp(secret) }))
    expect(tab.client.store.getState().status).toBe('authenticated')
  })

  it('a recovery code signs in once', async () => {
    const { tab, recoveryCodes } = await aliceWithTotp()
    const first = await passwordStep(tab)
    await run(first.complete({ method: 'recovery_code', code: recoveryCodes[0]! }))
    const second = await passwordStep(tab)
    await expect(
      run(second.complete({ method: 'recovery_code', code: recoveryCodes[0]! })),
    ).rejects.toMatchObject({ code: 'invalid_credentials' })
    expect(tab.client.store.getState().status).toBe('unauthenticated')
  })

  it('a ticket past its lifetime is over: SessionExpiredError', async () => {
    const { tab, secret } = await aliceWithTotp()
    const error = await passwordStep(tab)
    await advance(300_001)
    const late: unknown = await run(error.complete({ method: 'totp', code: totp(secret) })).catch(
      (e: unknown) => e,
    )
    expect(late).toBeInstanceOf(SessionExpiredError)
  })

  it('removing a factor after 10 minutes waits for a step-up with a code', async () => {
    const { tab, factors, id, secret } = await aliceWithTotp()
    await advance(11 * 60_000)
    let removed = false
    const removal = factors.remove(id).then(() => (removed = true))
    await drain()
    expect(removed).toBe(false)
    expect(tab.client.store.getState().stepUp).not.toBeNull()
    await run(tab.client.reauthenticate({ method: 'totp', code: totp(secret) }))
    await run(removal)
    expect(removed).toBe(true)
    expect(await run(factors.list())).toEqual({ factors: [], recoveryCodesLeft: 0 })
  })
})
