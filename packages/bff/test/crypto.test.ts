/**
 * `#crypto` has two implementations: node:crypto under Node, WebCrypto elsewhere (edge runtimes).
 * Both must compute the same bytes, and both must sign JWS that jose verifies.
 */
import { compactVerify, exportJWK, generateKeyPair, importJWK, type CryptoKey } from 'jose'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { inCheckPhase } from '../src/crypto/coalesce'
import { primitives as nodePrimitives } from '../src/crypto/node'
import { primitives as webPrimitives } from '../src/crypto/web'

const bytes = (text: string) => new TextEncoder().encode(text)
const hex = (value: Uint8Array) => Buffer.from(value).toString('hex')

describe.each([
  ['node:crypto', nodePrimitives],
  ['WebCrypto', webPrimitives],
])('%s primitives', (_name, primitives) => {
  it('hash and MAC like the RFC test vectors', async () => {
    expect(hex(primitives.sha256(bytes('abc')))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    )
    // RFC 4231, test case 2.
    expect(hex(primitives.hmacSha256(bytes('Jefe'), bytes('what do ya want for nothing?')))).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    )
    expect(hex(primitives.hmacSha512(bytes('Jefe'), bytes('what do ya want for nothing?')))).toBe(
      '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737',
    )
  })

  it('hashes text as UTF-8 into base64url, as the bytes would hash', async () => {
    for (const text of ['abc', '', 'päßwörd ✓ 𝄞', 'x'.repeat(5_000)]) {
      const expected = Buffer.from(primitives.sha256(bytes(text))).toString('base64url')
      expect(primitives.sha256Text(text)).toBe(expected)
    }
    expect(primitives.sha256Text('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0')
  })

  it('draws fresh random bytes of the asked length', () => {
    const a = primitives.randomBytes(32)
    const b = primitives.randomBytes(32)
    expect(a).toHaveLength(32)
    expect(hex(a)).not.toBe(hex(b))
  })

  it('never hands out the same random bytes twice, across many draws of every size', () => {
    // Enough draws to pass through several 4 KiB refills of node:crypto's pool, plus sizes that
    // bypass it.
    const seen = new Set<string>()
    let drawn = 0
    for (let i = 0; i < 2_000; i++) {
      const length = [16, 32, 48, 7, 1_500][i % 5]!
      const value = primitives.randomBytes(length)
      expect(value).toHaveLength(length)
      expect(value.buffer.byteLength).toBe(length)
      if (length >= 16) seen.add(hex(value))
      drawn += length >= 16 ? 1 : 0
    }
    expect(seen.size).toBe(drawn)
  })

  it('gives each caller bytes of its own: changing them changes no later draw', () => {
    const first = primitives.randomBytes(32)
    first.fill(0)
    const next = primitives.randomBytes(32)
    expect(next.some((byte) => byte !== 0)).toBe(true)
  })

  it.each(['ES256', 'EdDSA'] as const)('signs %s that jose verifies', async (alg) => {
    const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
    // Imported from a JWK without `extractable` (jose's default): signed through WebCrypto, as
    // Node 24 deprecates turning such a key into a KeyObject (see keys-deprecation.test.ts).
    const imported = (await importJWK(await exportJWK(privateKey), alg)) as CryptoKey
    expect([privateKey.extractable, imported.extractable]).toStrictEqual([true, false])
    const header = Buffer.from(JSON.stringify({ alg })).toString('base64url')
    const payload = Buffer.from('{"sub":"u1"}').toString('base64url')
    for (const key of [privateKey, imported]) {
      const signature = await primitives.sign(alg, key, bytes(`${header}.${payload}`))
      const jws = `${header}.${payload}.${Buffer.from(signature).toString('base64url')}`
      const { payload: verified } = await compactVerify(jws, publicKey, { algorithms: [alg] })
      expect(new TextDecoder().decode(verified)).toBe('{"sub":"u1"}')
    }
  })
})

describe('node:crypto signatures, made together once per turn of the event loop', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  const keyPair = () => generateKeyPair('ES256', { extractable: true })
  const header = Buffer.from(JSON.stringify({ alg: 'ES256' })).toString('base64url')
  const signed = (payload: string, signature: Uint8Array) =>
    `${header}.${payload}.${Buffer.from(signature).toString('base64url')}`

  it('runs the work one task asks for together, in the next check phase, after what was queued before', async () => {
    const order: string[] = []
    setImmediate(() => order.push('earlier immediate'))
    const work = ['a', 'b', 'c'].map((name) =>
      inCheckPhase(() => order.push(`work ${name}`)).then(() => order.push(`then ${name}`)),
    )
    void Promise.resolve().then(() => order.push('microtask'))
    setImmediate(() => order.push('later immediate'))
    order.push('sync end')
    await Promise.all(work)
    await new Promise((resolve) => setImmediate(resolve))
    expect(order).toStrictEqual([
      'sync end',
      'microtask',
      'earlier immediate',
      'work a',
      'work b',
      'work c',
      'then a',
      'then b',
      'then c',
      'later immediate',
    ])
  })

  it('settles a task that throws something other than an Error, and the rest of its batch', async () => {
    const outcomes = await Promise.allSettled([
      inCheckPhase(() => 1),
      inCheckPhase(() => {
        throw Object.create(null)
      }),
      inCheckPhase(() => 3),
    ])
    expect(outcomes.map((outcome) => outcome.status)).toStrictEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
    ])
  })

  it('settles each signature on its own: an unusable key rejects only its own', async () => {
    const { privateKey, publicKey } = await keyPair()
    const payload = Buffer.from('{"sub":"u1"}').toString('base64url')
    const input = bytes(`${header}.${payload}`)
    const [first, wrongKey, last] = await Promise.allSettled([
      nodePrimitives.sign('ES256', privateKey, input),
      // A public key cannot sign: node:crypto throws, inside the shared batch.
      nodePrimitives.sign('ES256', publicKey, input),
      nodePrimitives.sign('ES256', privateKey, input),
    ])
    expect(wrongKey.status).toBe('rejected')
    for (const outcome of [first, last]) {
      if (outcome.status !== 'fulfilled') throw new Error('a signature of the batch was lost')
      const { payload: verified } = await compactVerify(signed(payload, outcome.value), publicKey)
      expect(new TextDecoder().decode(verified)).toBe('{"sub":"u1"}')
    }
  })

  it.each(['Deno', 'Bun'])(
    'does the work at once under %s (they load node.ts too)',
    async (runtime) => {
      vi.resetModules()
      const global = globalThis as Record<string, unknown>
      global[runtime] = {}
      try {
        const { inCheckPhase: underRuntime } = await import('../src/crypto/coalesce')
        const order: string[] = []
        const done = underRuntime(() => order.push('work'))
        order.push('sync end')
        await done
        expect(order).toStrictEqual(['work', 'sync end'])
      } finally {
        delete global[runtime]
      }
    },
  )

  it('signs while a test fakes the timers', async () => {
    const { privateKey, publicKey } = await keyPair()
    vi.useFakeTimers({ toFake: ['setImmediate', 'setTimeout', 'Date'] })
    const payload = Buffer.from('{}').toString('base64url')
    const signature = await nodePrimitives.sign('ES256', privateKey, bytes(`${header}.${payload}`))
    await expect(compactVerify(signed(payload, signature), publicKey)).resolves.toBeDefined()
  })
})
