/**
 * @module
 * The `FactorStore` contract, run on every store (`mfa-stores.test.ts`): what each method returns,
 * and that every compare-and-set has exactly one winner when the same request races itself.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { FactorStore, StoredFactor } from '../src/mfa/types.js'

export interface FactorStoreUnderTest {
  store: FactorStore
  cleanup: () => Promise<void>
}

const NOW = Date.UTC(2024, 0, 15, 9, 0, 0)

/** A TOTP factor of `userId`, pending unless `confirmedAt` is given. */
export const totpFactor = (userId: string, id: string, over: Partial<StoredFactor> = {}) =>
  ({
    id,
    userId,
    method: 'totp',
    label: 'Authenticator app',
    createdAt: NOW,
    confirmedAt: null,
    lastUsedAt: null,
    lastStep: -1,
    counter: 0,
    backedUp: false,
    sealedSecret: 'eyJhbGciOiJkaXIifQ..iv.ciphertext.tag',
    passkey: null,
    ...over,
  }) satisfies StoredFactor

/** A passkey of `userId` with signature counter `counter`. */
export const passkeyFactor = (userId: string, id: string, counter = 0) =>
  ({
    id,
    userId,
    method: 'passkey',
    label: 'Passkey',
    createdAt: NOW + 1,
    confirmedAt: NOW + 1,
    lastUsedAt: null,
    lastStep: -1,
    counter,
    backedUp: false,
    sealedSecret: null,
    passkey: {
      credentialId: `cred-${id}`,
      publicKey: 'pQECAyYgASFYIA',
      transports: ['internal', 'hybrid'],
      deviceType: 'multiDevice',
      user: { id: userId, name: 'Zoë «quoted» "name"' },
    },
  }) satisfies StoredFactor

/** Runs `n` copies of `task` at once and counts the `true` results. */
const winners = async (n: number, task: () => Promise<boolean>) =>
  (await Promise.all(Array.from({ length: n }, task))).filter(Boolean).length

export function describeFactorStoreContract(
  name: string,
  make: () => Promise<FactorStoreUnderTest>,
) {
  describe(`FactorStore contract: ${name}`, () => {
    let current: FactorStoreUnderTest | undefined
    const open = async () => (current = await make()).store
    afterEach(async () => {
      await current?.cleanup()
      current = undefined
    })

    it('keeps factors per user, oldest first, exactly as written, and deletes one at a time', async () => {
      const store = await open()
      const totp = totpFactor('u1', 'f-b')
      const passkey = passkeyFactor('u1', 'f-a', 7)
      await store.createFactor(passkey, NOW)
      await store.createFactor(totp, NOW)
      await store.createFactor(totpFactor('u2', 'f-c'), NOW)
      expect(await store.listFactors('u1')).toStrictEqual([totp, passkey])
      expect(await store.listFactors('nobody')).toStrictEqual([])
      expect(await store.deleteFactor('u2', 'f-b'), "another user's factor").toBe(false)
      expect(await store.deleteFactor('u1', 'f-b')).toBe(true)
      expect(await store.deleteFactor('u1', 'f-b')).toBe(false)
      expect(await store.listFactors('u1')).toStrictEqual([passkey])
    })

    // Before: only Redis counted in its write; memory, SQLite and PostgreSQL stored every factor
    // given, so ceremonies finishing together (each past the routes' own reading) went over.
    it('caps a user at 20 factors, however many are created at once', async () => {
      const store = await open()
      for (let i = 0; i < 19; i++) await store.createFactor(passkeyFactor('u1', `p${i}`), NOW)
      const results = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) => store.createFactor(totpFactor('u1', `t${i}`), NOW)),
      )
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1)
      for (const result of results) {
        if (result.status === 'rejected') {
          expect(result.reason).toMatchObject({ status: 400, code: 'invalid_request' })
        }
      }
      expect(await store.listFactors('u1')).toHaveLength(20)
      // The cap is per user, and a removal makes room again.
      await store.createFactor(totpFactor('u2', 'other'), NOW)
      await expect(store.createFactor(totpFactor('u1', 'late'), NOW)).rejects.toMatchObject({
        status: 400,
        code: 'invalid_request',
      })
      expect(await store.deleteFactor('u1', 'p0')).toBe(true)
      await store.createFactor(totpFactor('u1', 'room'), NOW)
      expect(await store.listFactors('u1')).toHaveLength(20)
    })

    it('confirms a pending TOTP factor once, then accepts each later time step once', async () => {
      const store = await open()
      await store.createFactor(totpFactor('u1', 'f1'), NOW)
      expect(await store.acceptTotpStep('u1', 'f1', 100, NOW + 5, false), 'pending').toBe(false)
      expect(await store.acceptTotpStep('u2', 'f1', 100, NOW + 5, true), 'other user').toBe(false)
      expect(await store.acceptTotpStep('u1', 'f1', 100, NOW + 5, true)).toBe(true)
      expect(await store.acceptTotpStep('u1', 'f1', 101, NOW + 6, true), 'confirmed').toBe(false)
      expect(await store.acceptTotpStep('u1', 'f1', 100, NOW + 6, false), 'replay').toBe(false)
      expect(await store.acceptTotpStep('u1', 'f1', 99, NOW + 6, false), 'earlier').toBe(false)
      expect(await store.acceptTotpStep('u1', 'f1', 101, NOW + 7, false)).toBe(true)
      const [factor] = await store.listFactors('u1')
      expect(factor).toMatchObject({ confirmedAt: NOW + 5, lastUsedAt: NOW + 7, lastStep: 101 })
    })

    it('lets exactly one of ten identical TOTP codes through', async () => {
      const store = await open()
      await store.createFactor(totpFactor('u1', 'f1', { confirmedAt: NOW }), NOW)
      expect(await winners(10, () => store.acceptTotpStep('u1', 'f1', 500, NOW, false))).toBe(1)
    })

    it('refuses TOTP steps on a passkey and passkey uses on a TOTP factor', async () => {
      const store = await open()
      await store.createFactor(totpFactor('u1', 't', { confirmedAt: NOW }), NOW)
      await store.createFactor(passkeyFactor('u1', 'p'), NOW)
      expect(await store.acceptTotpStep('u1', 'p', 10, NOW, false)).toBe(false)
      expect(await store.recordPasskeyUse('u1', 't', 10, false, NOW)).toBe(false)
    })

    it('records passkey counters that grow (or stay 0) and refuses one that goes back', async () => {
      const store = await open()
      await store.createFactor(passkeyFactor('u1', 'zero'), NOW)
      await store.createFactor(passkeyFactor('u1', 'counting', 5), NOW)
      expect(await store.recordPasskeyUse('u1', 'zero', 0, true, NOW + 1)).toBe(true)
      expect(await store.recordPasskeyUse('u1', 'zero', 0, true, NOW + 2)).toBe(true)
      expect(await store.recordPasskeyUse('u1', 'counting', 5, false, NOW + 3)).toBe(false)
      expect(await store.recordPasskeyUse('u1', 'counting', 4, false, NOW + 3)).toBe(false)
      expect(await store.recordPasskeyUse('u1', 'counting', 9, true, NOW + 4)).toBe(true)
      expect(await store.recordPasskeyUse('u2', 'counting', 10, true, NOW + 4)).toBe(false)
      const byId = Object.fromEntries((await store.listFactors('u1')).map((f) => [f.id, f]))
      expect(byId.zero).toMatchObject({ counter: 0, backedUp: true, lastUsedAt: NOW + 2 })
      expect(byId.counting).toMatchObject({ counter: 9, backedUp: true, lastUsedAt: NOW + 4 })
      expect(await winners(8, () => store.recordPasskeyUse('u1', 'counting', 12, true, NOW))).toBe(
        1,
      )
    })

    it('keeps recovery codes per user, each usable once, and replaces them all', async () => {
      const store = await open()
      await store.replaceRecoveryCodes('u1', ['h1', 'h2', 'h3'], NOW)
      await store.replaceRecoveryCodes('u2', ['h1'], NOW)
      expect(await store.countRecoveryCodes('u1')).toBe(3)
      expect(await store.useRecoveryCode('u1', 'h2', NOW)).toBe(true)
      expect(await store.useRecoveryCode('u1', 'h2', NOW)).toBe(false)
      expect(await store.useRecoveryCode('u1', 'nope', NOW)).toBe(false)
      expect(await store.countRecoveryCodes('u1')).toBe(2)
      expect(await winners(6, () => store.useRecoveryCode('u1', 'h3', NOW))).toBe(1)
      await store.replaceRecoveryCodes('u1', ['h9'], NOW)
      expect(await store.useRecoveryCode('u1', 'h1', NOW), 'replaced').toBe(false)
      expect(await store.countRecoveryCodes('u1')).toBe(1)
      expect(await store.countRecoveryCodes('u2')).toBe(1)
      await store.replaceRecoveryCodes('u1', [], NOW)
      expect(await store.countRecoveryCodes('u1')).toBe(0)
    })

    it('hands a pending record to one taker only, until its deadline', async () => {
      const store = await open()
      await store.putPending('t1', '{"a":1}', NOW + 60_000, NOW)
      expect(await store.getPending('t1', NOW + 1)).toBe('{"a":1}')
      const taken = await Promise.all(Array.from({ length: 8 }, () => store.takePending('t1', NOW)))
      expect(taken.filter((value) => value !== null)).toStrictEqual(['{"a":1}'])
      expect(await store.getPending('t1', NOW)).toBeNull()
      await store.putPending('t2', 'x', NOW + 1_000, NOW)
      expect(await store.getPending('t2', NOW + 1_000), 'at its deadline').toBeNull()
      expect(await store.takePending('t2', NOW + 1_000), 'expired').toBeNull()
      expect(await store.takePending('unknown', NOW)).toBeNull()
    })

    it('counts failed tries atomically and resets them when the record is replaced', async () => {
      const store = await open()
      await store.putPending('t', 'v', NOW + 60_000, NOW)
      const tries = await Promise.all(Array.from({ length: 5 }, () => store.failPending('t', NOW)))
      expect([...tries].sort()).toStrictEqual([1, 2, 3, 4, 5])
      expect(await store.failPending('t', NOW + 60_000), 'expired').toBeNull()
      expect(await store.failPending('gone', NOW)).toBeNull()
      await store.putPending('t', 'w', NOW + 60_000, NOW)
      expect(await store.failPending('t', NOW)).toBe(1)
      expect(await store.getPending('t', NOW)).toBe('w')
      // A try whose answer was never judged is given back.
      expect(await store.failPending('t', NOW)).toBe(2)
      expect(await store.failPending('t', NOW, -1)).toBe(1)
      expect(await store.failPending('gone', NOW, -1)).toBeNull()
    })
  })
}
