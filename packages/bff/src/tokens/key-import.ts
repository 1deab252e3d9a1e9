/**
 * @module
 * Turning checked keys into what the ring holds: a Web Crypto key for the signer, and the public
 * JWKs (`kid`, `alg`, `use: "sig"`) the JWKS publishes. Shared by `createSigningKeys()` and the
 * `baton-keys` command.
 * @internal
 */
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  importPKCS8,
  type CryptoKey,
  type JWK,
} from 'jose'
import type { KeyEntry } from './key-input.js'
import type { SigningAlgorithm } from './keys.js'

const PRIVATE_PARAMS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'] as const

/** @internal A key after import: the private half when it has one, and its public JWK. */
export interface ImportedKey {
  privateKey: CryptoKey | null
  publicJwk: JWK
  alg: SigningAlgorithm
}

/** @internal `jwk` without any private member. */
export function publicPart(jwk: JWK): JWK {
  const copy: JWK = { ...jwk }
  for (const param of PRIVATE_PARAMS) delete copy[param]
  delete copy.key_ops
  delete copy.ext
  return copy
}

async function importEntry(entry: KeyEntry): Promise<ImportedKey> {
  if (entry.kind === 'pem') {
    const privateKey = await importPKCS8(entry.pem, entry.alg, { extractable: true })
    return { privateKey, publicJwk: publicPart(await exportJWK(privateKey)), alg: entry.alg }
  }
  // Only private keys become CryptoKeys; public ones are published and verified as JWKs.
  // Extractable, as the PEM's and a generated key are: under Node the signer converts it to a
  // KeyObject once (`crypto/node.ts`), which Node 24 deprecates for a non-extractable key (DEP0204,
  // a warning in every deployment's log, an error in a later Node). On a server that holds the
  // JWK's text in its configuration, a key the JavaScript API cannot export protects nothing.
  const privateKey = entry.isPrivate
    ? ((await importJWK(entry.jwk, entry.alg, { extractable: true })) as CryptoKey)
    : null
  return { privateKey, publicJwk: publicPart(entry.jwk), alg: entry.alg }
}

/**
 * @internal Imports checked keys. The rare key that passed the checks and still does not import
 * (a point off its curve) rejects with a `TypeError` naming it, like the checks do.
 */
export function importKeys(
  entries: readonly KeyEntry[],
  prefix: string,
  source: string | undefined,
): Promise<ImportedKey[]> {
  const from = source === undefined ? '' : ` (from ${source})`
  return Promise.all(
    entries.map(async (entry) => {
      try {
        return await importEntry(entry)
      } catch (cause) {
        // jose's and Web Crypto's messages name the problem, never the key material.
        const reason = cause instanceof Error ? cause.message : String(cause)
        throw new TypeError(
          `${prefix}${entry.name}${from} could not be imported (${reason}). ` +
            'Copy the key again, or create a key set with `npx baton-keys generate`.',
          { cause },
        )
      }
    }),
  )
}

/** @internal A fresh key pair, for a ring without configured keys. */
export async function generatedKey(alg: SigningAlgorithm): Promise<ImportedKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  return { privateKey, publicJwk: await exportJWK(publicKey), alg }
}

/**
 * @internal The public JWKs as the JWKS serves them. A key without a `kid` gets its RFC 7638
 * thumbprint, so the same key always has the same `kid`, in every instance and after a restart.
 */
export async function publishedKeys(keys: readonly ImportedKey[]): Promise<JWK[]> {
  return Promise.all(
    keys.map(async ({ publicJwk, alg }) => ({
      ...publicJwk,
      kid: publicJwk.kid ?? (await calculateJwkThumbprint(publicJwk)),
      alg,
      use: 'sig',
    })),
  )
}
