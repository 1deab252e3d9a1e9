/**
 * @module
 * The provider's configuration, discovered once (`/.well-known/openid-configuration`) and kept;
 * a failed discovery is forgotten so the next request tries again, and the request that found the
 * provider down is answered "unavailable" instead of a 500.
 * @internal
 */
import * as oidc from 'openid-client'
import { createRemoteJWKSet, customFetch as customJwksFetch, type JWTVerifyGetKey } from 'jose'
import { BffError } from '../errors.js'
import type { OidcConfig } from './options.js'

/** @internal The discovered provider and its key set. */
export interface Provider {
  configuration: oidc.Configuration
  /** The provider's JWKS, for logout tokens (openid-client checks ID tokens itself). */
  keys: JWTVerifyGetKey
  /** The provider's `issuer`, exactly as its metadata spells it. */
  issuer: string
}

/** @internal Thrown when the provider cannot be reached. */
export class ProviderUnavailable extends Error {
  override readonly name = 'ProviderUnavailable'
}

/**
 * @internal `503 provider_unavailable`: the identity provider could not be reached (discovery, its
 * token endpoint, its keys). Transient, like a store outage: the client keeps the session and
 * retries after `Retry-After`.
 */
export const providerUnavailable = (cause: unknown): BffError =>
  new BffError(
    503,
    'provider_unavailable',
    'The identity provider is unavailable; try again shortly.',
    {
      cause,
      headers: { 'retry-after': '1' },
    },
  )

/** @internal What is logged when an upstream refresh token could not be revoked. */
export const NOT_REVOKED =
  '[baton] oidc: the upstream refresh token was not revoked at the provider'

/**
 * @internal Revokes `token` at the provider, when it has a revocation endpoint (RFC 7009). Best
 * effort and not awaited: the Baton session is over whatever the provider answers. A refusal is
 * logged, since the provider's grant then lives on until it expires there.
 */
export function revokeRefreshToken(
  configuration: oidc.Configuration,
  token: string,
  logger: Pick<Console, 'warn'>,
): void {
  if (!configuration.serverMetadata().revocation_endpoint) return
  oidc
    .tokenRevocation(configuration, token, { token_type_hint: 'refresh_token' })
    .catch((error: unknown) => {
      logger.warn(NOT_REVOKED, error)
    })
}

/** @internal A lazily discovered {@link Provider}. */
export function createProvider(config: OidcConfig, fetchImpl: typeof fetch | undefined) {
  let pending: Promise<Provider> | null = null
  const customFetch: oidc.CustomFetch | undefined =
    fetchImpl && ((url, options) => fetchImpl(url, options as RequestInit))

  const discover = async (): Promise<Provider> => {
    const auth =
      config.clientSecret !== null
        ? oidc.ClientSecretBasic(config.clientSecret)
        : oidc.PrivateKeyJwt(
            config.clientPrivateKey!.kid === undefined
              ? config.clientPrivateKey!.key
              : { key: config.clientPrivateKey!.key, kid: config.clientPrivateKey!.kid },
          )
    let configuration: oidc.Configuration
    try {
      configuration = await oidc.discovery(
        config.issuer,
        config.clientId,
        { redirect_uris: [config.redirectUri.href], response_types: ['code'] },
        auth,
        {
          execute: config.insecure ? [oidc.allowInsecureRequests] : [],
          timeout: Math.ceil(config.timeoutMs / 1000),
          ...(customFetch ? { [oidc.customFetch]: customFetch } : {}),
        },
      )
    } catch (cause) {
      throw new ProviderUnavailable(`OpenID provider discovery at ${config.issuer.href} failed`, {
        cause,
      })
    }
    configuration.timeout = Math.ceil(config.timeoutMs / 1000)
    // OpenID Connect lets a client trust TLS instead of the ID token's signature when the token
    // comes straight from the token endpoint (Core §3.1.3.7); the BFF checks the signature anyway,
    // so a token endpoint behind a compromised proxy cannot hand it someone else's identity.
    oidc.enableNonRepudiationChecks(configuration)
    if (customFetch) configuration[oidc.customFetch] = customFetch
    const metadata = configuration.serverMetadata()
    if (typeof metadata.jwks_uri !== 'string') {
      throw new ProviderUnavailable('The OpenID provider publishes no jwks_uri')
    }
    return {
      configuration,
      keys: createRemoteJWKSet(new URL(metadata.jwks_uri), {
        timeoutDuration: config.timeoutMs,
        ...(fetchImpl ? { [customJwksFetch]: fetchImpl } : {}),
      }),
      issuer: metadata.issuer,
    }
  }

  return {
    get(): Promise<Provider> {
      pending ??= discover().catch((error: unknown) => {
        pending = null
        throw error
      })
      return pending
    },
  }
}
