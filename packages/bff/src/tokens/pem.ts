/**
 * @module
 * Reading a PEM far enough to say, synchronously, what kind of key it holds. Web Crypto imports
 * keys asynchronously, and `createSigningKeys()` must refuse a wrong key at start-up, so the PEM
 * label and the algorithm identifier of a PKCS#8 `PrivateKeyInfo` (RFC 5958 §2) are read here by
 * hand. The key itself is still imported by jose, later.
 * @internal
 */
import type { SigningAlgorithm } from './keys.js'

/** @internal What a PEM holds, or why Baton cannot sign with it. */
export type PemKind =
  { ok: true; alg: SigningAlgorithm; pem: string } | { ok: false; problem: string; fix: string }

const PEM = /^-----BEGIN ([A-Z0-9 ]+)-----\n([\s\S]*?)\n?-----END \1-----$/

// DER encodings of the object identifiers that matter (X.690 §8.19).
const EC_PUBLIC_KEY = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01] // 1.2.840.10045.2.1
const P256 = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07] // 1.2.840.10045.3.1.7
const ED25519 = [0x2b, 0x65, 0x70] // 1.3.101.112

const OPENSSL_FIX = 'Create one with `npx baton-keys generate` (a JWK), or use a PKCS#8 PEM.'

/** One DER element: its tag and where its contents start and end. */
interface Tlv {
  tag: number
  start: number
  end: number
}

function readTlv(bytes: Uint8Array, offset: number, limit: number): Tlv | null {
  if (offset + 2 > limit) return null
  const tag = bytes[offset]!
  let length = bytes[offset + 1]!
  let start = offset + 2
  if (length & 0x80) {
    const count = length & 0x7f
    // Indefinite lengths are BER, not DER; four bytes of length is far more than any key needs.
    if (count === 0 || count > 4 || start + count > limit) return null
    length = 0
    for (let i = 0; i < count; i++) length = length * 256 + bytes[start + i]!
    start += count
  }
  const end = start + length
  return end > limit ? null : { tag, start, end }
}

const sameBytes = (bytes: Uint8Array, tlv: Tlv, expected: readonly number[]) =>
  tlv.end - tlv.start === expected.length &&
  expected.every((byte, i) => bytes[tlv.start + i] === byte)

/** The signing algorithm of a PKCS#8 `PrivateKeyInfo`, or what is wrong with it. */
function pkcs8Algorithm(der: Uint8Array): SigningAlgorithm | 'unsupported' | 'malformed' {
  const info = readTlv(der, 0, der.length)
  if (!info || info.tag !== 0x30 || info.end !== der.length) return 'malformed'
  const version = readTlv(der, info.start, info.end)
  if (!version || version.tag !== 0x02) return 'malformed'
  const algorithm = readTlv(der, version.end, info.end)
  if (!algorithm || algorithm.tag !== 0x30) return 'malformed'
  const key = readTlv(der, algorithm.end, info.end)
  if (!key || key.tag !== 0x04) return 'malformed'
  const oid = readTlv(der, algorithm.start, algorithm.end)
  if (!oid || oid.tag !== 0x06) return 'malformed'
  if (sameBytes(der, oid, ED25519)) return 'EdDSA'
  if (!sameBytes(der, oid, EC_PUBLIC_KEY)) return 'unsupported'
  const curve = readTlv(der, oid.end, algorithm.end)
  return curve && curve.tag === 0x06 && sameBytes(der, curve, P256) ? 'ES256' : 'unsupported'
}

function decodeBase64(text: string): Uint8Array | null {
  const compact = text.replace(/\s+/g, '')
  if (compact === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return null
  try {
    return Uint8Array.from(atob(compact), (char) => char.charCodeAt(0))
  } catch {
    return null
  }
}

/**
 * @internal Reads a PEM: a PKCS#8 P-256 or Ed25519 private key gives its algorithm (and the PEM
 * with real line breaks); anything else gives the problem and how to fix it. Nothing of the key
 * material is ever put in a message.
 */
export function readPem(text: string): PemKind {
  // Environment variables often carry a PEM on one line with literal "\n" escapes (dotenv files,
  // CI secrets, Kubernetes manifests); those are line breaks.
  const pem = text.trim().replace(/\\n/g, '\n').replace(/\r\n/g, '\n')
  const match = PEM.exec(pem)
  if (!match) {
    return {
      ok: false,
      problem: 'is not a complete PEM (its BEGIN and END lines do not match)',
      fix: 'Paste the whole key, "-----BEGIN PRIVATE KEY-----" to "-----END PRIVATE KEY-----".',
    }
  }
  switch (match[1]) {
    case 'PRIVATE KEY':
      break
    case 'PUBLIC KEY':
      return {
        ok: false,
        problem: 'is a public key PEM, and a signing key must be private',
        fix: 'Give the PKCS#8 private key ("-----BEGIN PRIVATE KEY-----") instead.',
      }
    case 'EC PRIVATE KEY':
      return {
        ok: false,
        problem: 'is a SEC1 "EC PRIVATE KEY" PEM, and Baton reads PKCS#8',
        fix: 'Convert it with `openssl pkcs8 -topk8 -nocrypt -in key.pem`.',
      }
    case 'ENCRYPTED PRIVATE KEY':
      return {
        ok: false,
        problem: 'is an encrypted PEM, and Baton cannot ask for its passphrase',
        fix: 'Decrypt it with `openssl pkcs8 -topk8 -nocrypt -in key.pem` and keep it secret.',
      }
    default:
      return {
        ok: false,
        problem: `is a "${match[1]!.slice(0, 40)}" PEM, not a P-256 or Ed25519 private key`,
        fix: OPENSSL_FIX,
      }
  }
  const der = decodeBase64(match[2]!)
  const alg = der === null ? 'malformed' : pkcs8Algorithm(der)
  if (alg === 'malformed') {
    return {
      ok: false,
      problem: 'is not a readable PKCS#8 private key (its base64 or DER structure is damaged)',
      fix: 'Copy the whole key again, or create one with `npx baton-keys generate`.',
    }
  }
  if (alg === 'unsupported') {
    return {
      ok: false,
      problem: 'is a private key of another type (Baton signs with P-256 or Ed25519 keys)',
      fix: OPENSSL_FIX,
    }
  }
  return { ok: true, alg, pem }
}
