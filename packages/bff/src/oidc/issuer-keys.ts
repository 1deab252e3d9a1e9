/**
 * @module
 * State-store keys that name something the provider chose (`sub`, `sid`, a logout token's `jti`):
 * those values are unique only per issuer, and one session store (so one state store) may serve
 * BFFs signing in through different providers. Each such key carries a short digest of the issuer,
 * `iss:<tag>:…`; the digest keeps the key short and free of the issuer URL's own `:`. The `iss:`
 * prefix cannot start a key of the old, unscoped shape (`sub:…`, `sid:…`), still read for the
 * sessions signed in before this scheme.
 * @internal
 */
import { base64url } from 'jose'

const encoder = new TextEncoder()
const tags = new Map<string, Promise<string>>()

/**
 * The issuer's tag: 96 bits of its SHA-256, base64url. A collision would only merge two issuers'
 * indexes, and the route still checks each session's issuer before it ends one.
 */
export function issuerTag(issuer: string): Promise<string> {
  let tag = tags.get(issuer)
  if (!tag) {
    tag = globalThis.crypto.subtle
      .digest('SHA-256', encoder.encode(issuer))
      .then((digest) => base64url.encode(new Uint8Array(digest)).slice(0, 16))
    tags.set(issuer, tag)
  }
  return tag
}

/** The provider's names for a user or one of its sessions. */
export type ProviderSubject = { sid: string } | { sub: string }

/** @internal Keys under one issuer's tag. */
export const scopedKey = {
  /** The Baton sessions signed in as `sub` or through the provider session `sid`. */
  index: (tag: string, by: ProviderSubject) =>
    'sid' in by ? `iss:${tag}:sid:${by.sid}` : `iss:${tag}:sub:${by.sub}`,
  /** The `iat`s of the logout tokens that ended `sub` or `sid` (see `upstream.loggedOutAt`). */
  loggedOut: (tag: string, by: ProviderSubject) =>
    'sid' in by ? `iss:${tag}:out:sid:${by.sid}` : `iss:${tag}:out:sub:${by.sub}`,
  /** A logout token's `jti`, accepted once. */
  jti: (tag: string, jti: string) => `iss:${tag}:jti:${jti}`,
}

/**
 * @internal The index as builds before the issuer scope wrote it. Read, never written: a session
 * signed in before the upgrade is found there until it expires. To be dropped in the next minor.
 */
export const legacyIndexKey = (by: ProviderSubject) =>
  'sid' in by ? `sid:${by.sid}` : `sub:${by.sub}`
