/**
 * @module
 * Signing keys for access tokens and the public JWKS that verifies them.
 */
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  importPKCS8,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
} from 'jose'

/** The JWS algorithms Baton signs with: ECDSA P-256 or Ed25519. */
export type SigningAlgorithm = 'ES256' | 'EdDSA'

/** A private JWK (object or JSON text) or a PKCS#8 PEM; a JWK without `d` is verify-only. */
export type SigningKeyInput = string | JWK

/** Options of {@link createSigningKeys}. */
export interface SigningKeysOptions {
  /**
   * Keys, newest first. The first must be private and signs every new token; the others are
   * published in the JWKS only, so tokens they signed keep verifying during a key rotation.
   * A string is what an environment variable holds: a JWK, a JSON array of JWKs, or a PEM.
   * When omitted, a key pair is generated at start and a warning is logged: every instance
   * would sign with a different key, so several instances need shared keys.
   */
  keys?: string | readonly SigningKeyInput[]
  /**
   * Algorithm for a generated key and for PEM keys.
   * @default 'ES256'
   */
  algorithm?: SigningAlgorithm
  /**
   * Where the warning about generated keys goes.
   * @default console
   */
  logger?: Pick<Console, 'warn'>
}

/** The key ring behind `createBff` and `requireAuth`. */
export interface SigningKeys {
  /** True when the keys were generated at start rather than configured. */
  readonly ephemeral: boolean
  /** The public keys (`kid`, `alg`, `use: "sig"`), as served at `/.well-known/jwks.json`. */
  jwks(): Promise<JSONWebKeySet>
}

/** @internal The signing half, kept off the public object. */
export interface Signer {
  key: CryptoKey
  kid: string
  alg: SigningAlgorithm
}

interface Loaded {
  signer: Signer
  jwks: JSONWebKeySet
}

const loaders = new WeakMap<SigningKeys, () => Promise<Loaded>>()

const PRIVATE_PARAMS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'] as const

function algorithmOf(jwk: JWK, fallback: SigningAlgorithm): SigningAlgorithm {
  if (jwk.alg === 'ES256') return 'ES256'
  if (jwk.alg === 'EdDSA' || jwk.alg === 'Ed25519') return 'EdDSA'
  if (jwk.alg !== undefined) {
    throw new TypeError(`signing key alg "${jwk.alg}" is not supported; use ES256 or EdDSA`)
  }
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256'
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA'
  if (jwk.kty === undefined) return fallback
  throw new TypeError(`signing key kty "${jwk.kty}" crv "${jwk.crv}" is not supported`)
}

function publicPart(jwk: JWK): JWK {
  const copy: JWK = { ...jwk }
  for (const param of PRIVATE_PARAMS) delete copy[param]
  delete copy.key_ops
  delete copy.ext
  return copy
}

function splitInput(keys: string | readonly SigningKeyInput[]): SigningKeyInput[] {
  if (typeof keys !== 'string') return [...keys]
  const text = keys.trim()
  if (text.startsWith('[')) {
    const parsed: unknown = JSON.parse(text)
    if (!Array.isArray(parsed)) throw new TypeError('signing keys: expected a JSON array of JWKs')
    return parsed as SigningKeyInput[]
  }
  return [text]
}

async function loadOne(
  input: SigningKeyInput,
  fallbackAlg: SigningAlgorithm,
): Promise<{ privateKey: CryptoKey | null; publicJwk: JWK; alg: SigningAlgorithm }> {
  if (typeof input === 'string' && input.trim().startsWith('-----BEGIN')) {
    const privateKey = await importPKCS8(input.trim(), fallbackAlg, { extractable: true })
    const publicJwk = publicPart(await exportJWK(privateKey))
    return { privateKey, publicJwk, alg: fallbackAlg }
  }
  const jwk: JWK = typeof input === 'string' ? (JSON.parse(input) as JWK) : input
  if (typeof jwk !== 'object' || jwk === null) throw new TypeError('signing key: expected a JWK')
  const alg = algorithmOf(jwk, fallbackAlg)
  const publicJwk = publicPart(jwk)
  const privateKey = jwk.d === undefined ? null : ((await importJWK(jwk, alg)) as CryptoKey)
  return { privateKey, publicJwk, alg }
}

/**
 * Builds the key ring from configuration (or generates one for development). Keys are imported
 * lazily on first use; a malformed key rejects on that first use with a message naming it.
 *
 * @example
 * ```ts
 * const keys = createSigningKeys({ keys: process.env.BATON_SIGNING_KEYS })
 * const bff = createBff({ keys, authenticate })
 * api.use(requireAuth({ jwks: keys, issuer, audience }))
 * ```
 */
export function createSigningKeys(options: SigningKeysOptions = {}): SigningKeys {
  const fallbackAlg = options.algorithm ?? 'ES256'
  if (fallbackAlg !== 'ES256' && fallbackAlg !== 'EdDSA') {
    throw new TypeError(`algorithm must be "ES256" or "EdDSA", got "${String(fallbackAlg)}"`)
  }
  const configured =
    options.keys === undefined || options.keys === '' ? [] : splitInput(options.keys)
  const ephemeral = configured.length === 0
  if (ephemeral) {
    ;(options.logger ?? console).warn(
      '[baton] no signing keys configured: generated an ephemeral key pair. Tokens will not ' +
        'verify after a restart, and several instances need the same keys (BATON_SIGNING_KEYS).',
    )
  }

  let loading: Promise<Loaded> | undefined
  const load = async (): Promise<Loaded> => {
    const entries = ephemeral
      ? [await generated(fallbackAlg)]
      : await Promise.all(configured.map((input) => loadOne(input, fallbackAlg)))
    const keys: JWK[] = []
    let signer: Signer | undefined
    for (const entry of entries) {
      const kid = entry.publicJwk.kid ?? (await calculateJwkThumbprint(entry.publicJwk))
      keys.push({ ...entry.publicJwk, kid, alg: entry.alg, use: 'sig' })
      if (!signer) {
        if (!entry.privateKey) {
          throw new TypeError('signing keys: the first key must be a private key (it signs)')
        }
        signer = { key: entry.privateKey, kid, alg: entry.alg }
      }
    }
    if (!signer) throw new TypeError('signing keys: no key configured')
    return { signer, jwks: { keys } }
  }

  const ring: SigningKeys = {
    ephemeral,
    async jwks() {
      return structuredClone((await getLoaded()).jwks)
    },
  }
  const getLoaded = () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined
      throw error
    })
    return loading
  }
  loaders.set(ring, getLoaded)
  return ring
}

async function generated(alg: SigningAlgorithm) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  return { privateKey, publicJwk: await exportJWK(publicKey), alg }
}

/** @internal True for a ring made by {@link createSigningKeys}. */
export const isSigningKeys = (value: unknown): value is SigningKeys =>
  typeof value === 'object' && value !== null && loaders.has(value as SigningKeys)

/** @internal The current signer and the published key set of a ring. */
export async function loadSigningKeys(keys: SigningKeys): Promise<Loaded> {
  const load = loaders.get(keys)
  if (!load) throw new TypeError('keys must come from createSigningKeys()')
  return load()
}

/**
 * Generates a private signing key as a JWK with a `kid`, ready for `BATON_SIGNING_KEYS`.
 *
 * @example
 * ```ts
 * console.log(JSON.stringify([await generateSigningKey('ES256')]))
 * ```
 */
export async function generateSigningKey(alg: SigningAlgorithm = 'ES256'): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = await exportJWK(privateKey)
  return { ...jwk, alg, kid: await calculateJwkThumbprint(publicPart(jwk)) }
}
