/**
 * @module
 * `GET <jwksPath>`: the public keys of the access-token signing keys (RFC 7517), for services
 * that verify access tokens without calling the BFF.
 */
import { Hono } from 'hono'
import { NO_SNIFF } from '../errors.js'
import type { BffConfig } from '../options.js'
import { loadSigningKeys } from '../tokens/keys.js'

/** @internal `GET <jwksPath>`: the public keys, cacheable for a few minutes. */
export const jwksRoutes = (config: BffConfig) =>
  new Hono().get(config.jwksPath, async (c) => {
    const { jwks } = await loadSigningKeys(config.keys)
    // Short enough that a key added for rotation reaches verifiers well before it starts signing.
    c.header('cache-control', 'public, max-age=300')
    c.header(...NO_SNIFF)
    return c.json(jwks)
  })
