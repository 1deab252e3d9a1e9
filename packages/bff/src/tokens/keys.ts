/**
 * @module
 * Signing keys for access tokens and the public JWKS that verifies them.
 */
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
} from 'jose'
import { generatedKey, importKeys, publicPart, publishedKeys } from './key-import.js'
import { parseKeyInput } from './key-input.js'

/** The JWS algorithms Baton signs with: ECDSA P-256 or Ed25519. */
export type SigningAlgorithm = 'ES256' | 'EdDSA'

/** A private JWK (object or JSON text) or a PKCS#8 PEM; a JWK without `d` is verify-only. */
export type SigningKeyInput = string | JWK

/** Options of {@link createSigningKeys}. */
export interface SigningKeysOptions {
  /**
   * Keys, newest first. The first must be private and signs every new token; the others are
   * published in the JWKS only, so tokens they signed keep verifying during a key rotation.
   * A string is what an environment variable holds: a JSON array of JWKs (what
   * `npx baton-keys generate` prints), one JWK, a JWK Set `{ "keys": [...] }`, or a PKCS#8 PEM
   * (literal `\n` escapes are read as line breaks). Every key is checked here: a malformed one
   * throws a `TypeError` naming it and saying how to fix it, before any request.
   * When omitted (or an empty string, an unset variable), a key pair is generated at start and a
   * warning is logged: every instance would sign with a different key, so several instances need
   * shared keys.
   * @default none: a generated development key
   */
  keys?: string | readonly SigningKeyInput[] | undefined
  /**
   * Where `keys` came from, named in every error and warning, so a log line says which setting
   * to fix: usually the environment variable's name.
   * @default none: messages name the `keys` option only
   */
  source?: string
  /**
   * Algorithm of a generated key. A PEM's algorithm is read from the key itself; when this is
   * set, the PEM must match it.
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

const ALGORITHMS: readonly unknown[] = ['ES256', 'EdDSA'] satisfies SigningAlgorithm[]

/**
 * Builds the key ring from configuration (or generates one for development). Every configured key
 * is checked at once, so a malformed `BATON_SIGNING_KEYS` stops the start with a `TypeError` that
 * names the option, the key and the fix, instead of failing the first login. Keys are imported
 * into Web Crypto lazily, on first use (Web Crypto is asynchronous, and this factory is not); the
 * rare key that passes the checks and still cannot be imported (a point off its curve) rejects
 * there with a message of the same kind. Create keys with the `baton-keys` command of this package.
 *
 * @example
 * ```ts
 * // BATON_SIGNING_KEYS holds what `npx baton-keys generate` printed.
 * const keys = createSigningKeys({
 *   keys: process.env.BATON_SIGNING_KEYS,
 *   source: 'BATON_SIGNING_KEYS',
 * })
 * const bff = createBff({ keys, authenticate })
 * api.use(bff.requireAuth())
 * ```
 */
export function createSigningKeys(options: SigningKeysOptions = {}): SigningKeys {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createSigningKeys: options must be an object')
  }
  const { algorithm, source } = options
  if (algorithm !== undefined && !ALGORITHMS.includes(algorithm)) {
    throw new TypeError(
      `createSigningKeys: algorithm must be "ES256" or "EdDSA", got "${String(algorithm)}"`,
    )
  }
  if (source !== undefined && (typeof source !== 'string' || source === '')) {
    throw new TypeError('createSigningKeys: source must be a non-empty string')
  }
  const unset =
    options.keys === undefined || (typeof options.keys === 'string' && options.keys.trim() === '')
  const entries = unset
    ? []
    : parseKeyInput(options.keys, {
        prefix: 'createSigningKeys: ',
        source,
        algorithm,
        requirePrivateFirst: true,
      })
  if (unset) {
    const which = source === undefined ? '' : ` (${source} is unset or empty)`
    ;(options.logger ?? console).warn(
      `[baton] no signing keys configured${which}: ` +
        'generated an ephemeral key pair. Tokens will not verify after a restart, and several ' +
        'instances need the same keys: create them with `npx baton-keys generate`.',
    )
  }

  let loading: Promise<Loaded> | undefined
  const load = async (): Promise<Loaded> => {
    const imported = unset
      ? [await generatedKey(algorithm ?? 'ES256')]
      : await importKeys(entries, 'createSigningKeys: ', source)
    const keys = await publishedKeys(imported)
    // parseKeyInput made sure the first key is private; it signs.
    const first = imported[0]!
    const signer = { key: first.privateKey!, kid: keys[0]!.kid!, alg: first.alg }
    return { signer, jwks: { keys } }
  }

  const ring: SigningKeys = {
    ephemeral: unset,
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
  if (!ALGORITHMS.includes(alg)) {
    throw new TypeError(`generateSigningKey: alg must be "ES256" or "EdDSA", got "${String(alg)}"`)
  }
  const { privateKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = await exportJWK(privateKey)
  return { ...jwk, alg, kid: await calculateJwkThumbprint(publicPart(jwk)) }
}
