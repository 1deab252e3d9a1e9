/**
 * The memory store copies records field by field and a stored user by spread when its values are
 * all primitives (issue 15: `structuredClone` of the whole record on every read was ~10 µs of a
 * refresh). What callers get must still be theirs alone, however nested the user, and what they
 * passed in must not be shared with the store either.
 */
import { describe, expect, it } from 'vitest'
import { memoryStore } from '../src/index.js'
import { sessionRecord } from './store-contract.js'

const NOW = 1_800_000_000_000

describe('memoryStore copies', () => {
  it('keeps a flat user apart from the copies it hands out', async () => {
    const store = memoryStore({ sweepInterval: 0 })
    const session = sessionRecord('u1', NOW, { user: { id: 'u1', name: 'Ada', admin: false } })
    await store.create(session, NOW)
    const first = (await store.get(session.id))!
    first.user.name = 'Mallory'
    first.amr.push('stolen')
    const second = (await store.get(session.id))!
    expect(second.user).toStrictEqual({ id: 'u1', name: 'Ada', admin: false })
    expect(second.amr).toStrictEqual(['pwd', 'otp'])
    expect(second.user).not.toBe(first.user)
    await store.close()
  })

  // It kept what structuredClone keeps (a Date as a Date); every other store keeps JSON.
  it('deep-copies a nested user, and keeps what JSON keeps, as every store does', async () => {
    const store = memoryStore({ sweepInterval: 0 })
    const joined = new Date(NOW)
    const session = sessionRecord('u2', NOW, {
      user: { id: 'u2', org: { id: 7, roles: ['admin'] }, joined },
    })
    await store.create(session, NOW)
    // The caller's object after create is not the stored one either.
    ;(session.user.org as { roles: string[] }).roles.push('root')
    const copy = (await store.get(session.id))!
    ;(copy.user.org as { id: number }).id = 8
    const again = (await store.get(session.id))!
    expect(again.user.org).toStrictEqual({ id: 7, roles: ['admin'] })
    expect(again.user.joined).toBe(joined.toISOString())
    await store.close()
  })

  // It refused a function (structuredClone's DataCloneError); every other store drops it, as JSON
  // does, and refuses what JSON refuses.
  it('drops at create what JSON drops in a user, refuses what JSON refuses', async () => {
    const store = memoryStore({ sweepInterval: 0 })
    const session = sessionRecord('u3', NOW, { user: { id: 'u3', greet: () => 'hi' } })
    await store.create(session, NOW)
    expect((await store.get(session.id))?.user).toStrictEqual({ id: 'u3' })
    const refused = sessionRecord('u3', NOW, { user: { id: 'u3', balance: 1n } })
    await expect(store.create(refused, NOW)).rejects.toThrow(TypeError)
    expect(await store.get(refused.id)).toBeNull()
    await store.close()
  })

  it('keeps the amr of a rotation apart from the caller, and lists copies', async () => {
    const store = memoryStore({ sweepInterval: 0 })
    const session = sessionRecord('u4', NOW)
    await store.create(session, NOW)
    const amr = ['pwd', 'webauthn']
    const rotated = await store.rotate(
      session.id,
      session.tokenHash,
      {
        tokenHash: 'next',
        previousTokenHash: session.tokenHash,
        rotatedAt: NOW + 1,
        sealedSuccessor: 'sealed',
        generation: 1,
        lastUsedAt: NOW + 1,
        idleExpiresAt: session.idleExpiresAt,
        ip: session.ip,
        userAgent: session.userAgent,
        authTime: session.authTime,
        amr,
        acr: null,
      },
      NOW + 1,
    )
    expect(rotated).toBe(true)
    amr.push('later')
    const [listed] = await store.listByUser('u4', NOW + 2)
    expect(listed!.amr).toStrictEqual(['pwd', 'webauthn'])
    listed!.user.name = 'Mallory'
    expect((await store.get(session.id))!.user.name).toBe('Ada Lovelace')
    await store.close()
  })
})
