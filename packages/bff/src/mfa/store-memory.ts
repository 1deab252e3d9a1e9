/**
 * @module
 * The factor store of `memoryStore()`: maps in this process, every operation synchronous behind the
 * async contract, so each is atomic by construction.
 * @internal
 */
/* eslint-disable @typescript-eslint/require-await --
 * Synchronous work behind the Promise-returning `FactorStore` interface; `async` turns a throw into
 * a rejection, as callers expect of a store. */
import { MAX_FACTORS, tooManyFactors } from './factors.js'
import { byFactorCreation, counterAdvances, type FactorStore, type StoredFactor } from './types.js'

/** @internal Factors, recovery codes and pending records in maps of this process. */
export function memoryFactorStore(): FactorStore {
  const factors = new Map<string, Map<string, StoredFactor>>()
  const codes = new Map<string, Set<string>>()
  const pending = new Map<string, { value: string; expiresAt: number; tries: number }>()
  let writes = 0

  // Expired pending records are dropped lazily, and all of them at most once per n writes, so
  // memory stays bounded without a timer.
  const notePending = (now: number) => {
    if (++writes < Math.max(1024, pending.size)) return
    writes = 0
    for (const [key, record] of pending) if (now >= record.expiresAt) pending.delete(key)
  }
  const live = (key: string, now: number) => {
    const record = pending.get(key)
    if (record && now >= record.expiresAt) {
      pending.delete(key)
      return undefined
    }
    return record
  }
  const factorOf = (userId: string, factorId: string) => factors.get(userId)?.get(factorId)

  return {
    async createFactor(factor) {
      let own = factors.get(factor.userId)
      if (!own) factors.set(factor.userId, (own = new Map<string, StoredFactor>()))
      if (own.has(factor.id)) throw new Error(`factor ${factor.id} already exists`)
      if (own.size >= MAX_FACTORS) throw tooManyFactors()
      own.set(factor.id, structuredClone(factor))
    },

    async listFactors(userId) {
      return [...(factors.get(userId)?.values() ?? [])]
        .map((factor) => structuredClone(factor))
        .sort(byFactorCreation)
    },

    async deleteFactor(userId, factorId) {
      const own = factors.get(userId)
      const deleted = own?.delete(factorId) ?? false
      if (own?.size === 0) factors.delete(userId)
      return deleted
    },

    async acceptTotpStep(userId, factorId, step, now, confirm) {
      const factor = factorOf(userId, factorId)
      if (!factor || factor.method !== 'totp') return false
      if ((factor.confirmedAt === null) !== confirm || step <= factor.lastStep) return false
      factor.lastStep = step
      factor.lastUsedAt = now
      if (confirm) factor.confirmedAt = now
      return true
    },

    async recordPasskeyUse(userId, factorId, counter, backedUp, now) {
      const factor = factorOf(userId, factorId)
      if (!factor || factor.method !== 'passkey' || !counterAdvances(factor.counter, counter)) {
        return false
      }
      factor.counter = counter
      factor.backedUp = backedUp
      factor.lastUsedAt = now
      return true
    },

    async replaceRecoveryCodes(userId, hashes) {
      if (hashes.length === 0) codes.delete(userId)
      else codes.set(userId, new Set(hashes))
    },

    async useRecoveryCode(userId, hash) {
      return codes.get(userId)?.delete(hash) ?? false
    },

    async countRecoveryCodes(userId) {
      return codes.get(userId)?.size ?? 0
    },

    async putPending(key, value, expiresAt, now) {
      pending.set(key, { value, expiresAt, tries: 0 })
      notePending(now)
    },

    async getPending(key, now) {
      return live(key, now)?.value ?? null
    },

    async takePending(key, now) {
      const record = live(key, now)
      pending.delete(key)
      return record?.value ?? null
    },

    async failPending(key, now, by = 1) {
      const record = live(key, now)
      if (!record) return null
      return (record.tries += by)
    },
  }
}
