/**
 * A provider that rotates refresh tokens spends the old one as it answers: the BFF holds the only
 * copy of the new one until it is stored. A store blip while storing it is retried within the
 * request; a store that keeps failing ends the session as `revoked` (logged), never leaving a
 * spent token behind to be refused later and reported as the provider's logout.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair } from 'jose'
import Provider, { type OidcContext } from 'oidc-provider'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryStore, type BffEvent } from '../src/index.js'
import { memoryOidcStateStore, type OidcStateStore } from '../src/oidc/index.js'
import {
  batonToken,
  clientOf,
  codeOf,
  csrfFrom,
  mountOidcBff,
  relay,
  reserve,
  signInAtProvider,
  type Served,
} from './oidc-harness.js'

/** `startIdp`'s provider, but rotating refresh tokens (as Auth0, Okta, Entra ID… do). */
async function startRotatingIdp(clients: Record<string, unknown>[]) {
  const server: Server = createServer()
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  )
  const issuer = `http://127.0.0.1:${port}`
  const { privateKey } = await generateKeyPair('RS256', { extractable: true })
  const jwk = { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' }
  const provider = new Provider(issuer, {
    clients: clients.map((client) => ({
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      ...client,
    })),
    jwks: { keys: [jwk] },
    cookies: { keys: ['oidc-test-cookie-key'] },
    features: {
      devInteractions: { enabled: true },
      revocation: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    pkce: { required: () => true },
    claims: { openid: ['sub', 'sid'] },
    ttl: { AccessToken: 3600, IdToken: 3600, Session: 3600 },
    rotateRefreshToken: true,
    findAccount: (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: () => ({ sub: id }),
    }),
    issueRefreshToken: () => true,
    async loadExistingGrant(ctx: OidcContext) {
      const { client, session, params, provider: op } = ctx.oidc
      const grant = new op.Grant({ clientId: client!.clientId, accountId: session!.accountId! })
      const scope = params?.['scope']
      grant.addOIDCScope(typeof scope === 'string' ? scope : 'openid')
      await grant.save()
      return grant
    },
  })
  server.on('request', provider.callback())
  return {
    issuer,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

describe('a rotated upstream refresh token the BFF could not store', () => {
  let served: Served
  let idp: Awaited<ReturnType<typeof startRotatingIdp>>
  beforeAll(async () => {
    served = await reserve()
    idp = await startRotatingIdp([clientOf(served)])
  })
  afterAll(async () => {
    await served?.close()
    await idp?.close()
  })

  /** A state store whose writes of upstream records fail while `failing()` says so. */
  function flakyUpstreamWrites(failing: () => boolean): OidcStateStore {
    const inner = memoryOidcStateStore()
    return {
      ...inner,
      async set(key, value, ttlMs) {
        if (key.startsWith('up:') && failing()) throw new Error('connection reset')
        return inner.set(key, value, ttlMs)
      },
    }
  }

  it('a one-off store failure while saving the rotated token is retried: the call and the next succeed', async () => {
    let failures = 0
    const events: BffEvent[] = []
    const app = mountOidcBff(served, idp.issuer, {
      bff: { store: memoryStore(), onEvent: (e) => void events.push(e) },
      oidc: {
        stateStore: flakyUpstreamWrites(() => failures-- > 0),
        // Every accessToken(c) refreshes upstream, spending the stored refresh token.
        refreshSkewSeconds: 7200,
      },
    })
    const { agent } = await signInAtProvider(served, 'tess')
    const { accessToken } = await batonToken(served, agent)

    failures = 1
    const first = await relay(served, accessToken)
    // The next refresh spends the token the first one stored: it must be the rotated one.
    const next = await relay(served, accessToken)
    const revoked = events.flatMap((e) => (e.type === 'revoked' ? [e.reason] : []))
    expect({
      first: first.status,
      next: next.status,
      relayed: app.relayed.length,
      revoked,
    }).toEqual({ first: 200, next: 200, relayed: 2, revoked: [] })
    const refreshed = await agent.request(`${served.origin}/auth/refresh`, {
      method: 'POST',
      headers: csrfFrom(served.origin),
    })
    expect(refreshed.status).toBe(200)
  })

  it('a store that keeps failing ends the session as revoked and logs it, never as provider_logout', async () => {
    let failing = false
    const events: BffEvent[] = []
    const errors: unknown[][] = []
    const app = mountOidcBff(served, idp.issuer, {
      bff: {
        store: memoryStore(),
        onEvent: (e) => void events.push(e),
        logger: { warn: () => undefined, error: (...args: unknown[]) => void errors.push(args) },
      },
      oidc: { stateStore: flakyUpstreamWrites(() => failing), refreshSkewSeconds: 7200 },
    })
    const { agent } = await signInAtProvider(served, 'ugo')
    const { accessToken } = await batonToken(served, agent)

    failing = true
    const first = await relay(served, accessToken)
    expect(first.status).toBe(401)
    expect(await codeOf(first)).toBe('session_revoked')
    failing = false
    const next = await relay(served, accessToken)
    const revoked = events.flatMap((e) => (e.type === 'revoked' ? [e.reason] : []))
    expect({ next: next.status, relayed: app.relayed.length, revoked }).toEqual({
      next: 401,
      relayed: 0,
      revoked: ['revoked'],
    })
    expect(String(errors[0]?.[0])).toMatch(/rotated upstream refresh token could not be stored/)
  })
})
