/**
 * A sign-in through the OpenID provider makes a session bound to the browser's device key, as a
 * password sign-in does: `POST {base}/oidc/login` carries the page's DPoP proof, its key's
 * thumbprint is sealed into the transaction, and the callback (a navigation, with no proof of its
 * own) starts the session bound to it. Against a real `oidc-provider` on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BffEvent } from '../src/index.js'
import { claimsOf, deviceKey, NONCE_CHALLENGE, proof, type DeviceKey } from './dpop-helpers.js'
import { Agent, loginAtIdp, startIdp, type TestIdp } from './oidc-idp.js'
import { passwordOf } from './helpers.js'
import { CLIENT, codeOf, csrfFrom, mountOidcBff, reserve, type Served } from './oidc-harness.js'

let idp: TestIdp
const servers: Record<'ifSupported' | 'required' | 'nonces', Served> = {} as never
const events: BffEvent[] = []

beforeAll(async () => {
  for (const name of ['ifSupported', 'required', 'nonces'] as const) servers[name] = await reserve()
  idp = await startIdp({
    clients: [{ ...CLIENT, redirect_uris: Object.values(servers).map((s) => s.redirectUri) }],
  })
  const onEvent = (event: BffEvent) => void events.push(event)
  mountOidcBff(servers.ifSupported, idp.issuer, { bff: { onEvent } })
  mountOidcBff(servers.required, idp.issuer, { bff: { binding: 'required', onEvent } })
  mountOidcBff(servers.nonces, idp.issuer, {
    bff: { dpop: { nonce: { secret: 'n'.repeat(32) } }, onEvent },
  })
})
afterAll(async () => {
  for (const served of Object.values(servers)) await served.close()
  await idp?.close()
})

/** `POST {base}/oidc/login` as the client sends it, signed by `key` when given. */
async function start(
  served: Served,
  agent: Agent,
  body: unknown,
  key?: DeviceKey,
  nonce?: string,
): Promise<Response> {
  const url = `${served.origin}/auth/oidc/login`
  const headers: Record<string, string> = {
    ...csrfFrom(served.origin),
    'content-type': 'application/json',
  }
  if (key)
    headers['dpop'] = await proof(key, { htu: url, at: Date.now(), ...(nonce ? { nonce } : {}) })
  return agent.request(url, { method: 'POST', headers, body: JSON.stringify(body) })
}

/** Refreshes through `agent`, with a proof by `key` when given. */
async function refresh(served: Served, agent: Agent, key?: DeviceKey) {
  const url = `${served.origin}/auth/refresh`
  const headers: Record<string, string> = csrfFrom(served.origin)
  if (key) headers['dpop'] = await proof(key, { htu: url, at: Date.now() })
  return agent.request(url, { method: 'POST', headers })
}

/** Alice's password sign-in through `agent`, bound to `key`. */
async function passwordSignIn(served: Served, agent: Agent, key: DeviceKey) {
  const url = `${served.origin}/auth/login`
  return agent.request(url, {
    method: 'POST',
    headers: {
      ...csrfFrom(served.origin),
      'content-type': 'application/json',
      dpop: await proof(key, { htu: url, at: Date.now() }),
    },
    body: JSON.stringify({ username: 'alice', password: passwordOf('alice') }),
  })
}

/** A whole sign-in started by POST with `key`'s proof: returns the agent, signed in. */
async function signIn(served: Served, key?: DeviceKey) {
  const agent = new Agent()
  const started = await start(served, agent, { returnTo: '/home' }, key)
  expect(started.status).toBe(200)
  expect(started.headers.get('cache-control')).toBe('no-store')
  const { location } = (await started.json()) as { location: string }
  expect(new URL(location).origin).toBe(idp.issuer)
  const callback = await loginAtIdp(agent, location, served.redirectUri, 'frank')
  const landed = await agent.request(callback)
  expect(landed.status).toBe(302)
  expect(landed.headers.get('location')).toBe('/home')
  return agent
}

describe('POST /oidc/login with a DPoP proof: the session is bound to that key', () => {
  it('refreshes only with a proof by that key; another key is theft and ends it', async () => {
    const key = await deviceKey()
    const agent = await signIn(servers.ifSupported, key)

    // No proof: refused, and the session goes on (a proof that fails ends nothing).
    const unsigned = await refresh(servers.ifSupported, agent)
    expect(unsigned.status).toBe(401)
    expect(await codeOf(unsigned)).toBe('invalid_dpop_proof')

    const granted = await refresh(servers.ifSupported, agent, key)
    expect(granted.status).toBe(200)
    const grant = (await granted.json()) as { accessToken: string; tokenType: string }
    expect(grant.tokenType).toBe('DPoP')
    expect(claimsOf(grant.accessToken)['cnf']).toEqual({ jkt: key.jkt })

    // The cookie copied to a machine with a key of its own.
    const stolen = await refresh(servers.ifSupported, agent, await deviceKey())
    expect(stolen.status).toBe(401)
    expect(await codeOf(stolen)).toBe('session_revoked')
    expect(events.filter((e) => e.type === 'binding_mismatch')).toHaveLength(1)
    // The answer cleared the cookie: the rightful key has nothing left to refresh.
    expect(agent.cookies(servers.ifSupported.origin).has('__Host-baton_rt')).toBe(false)
    const after = await refresh(servers.ifSupported, agent, key)
    expect(await codeOf(after)).toBe('no_session')
  })

  it('without a proof (a browser that cannot bind) the session is unbound where binding is if_supported', async () => {
    const agent = await signIn(servers.ifSupported)
    const granted = await refresh(servers.ifSupported, agent)
    expect(granted.status).toBe(200)
    expect(((await granted.json()) as { tokenType: string }).tokenType).toBe('Bearer')
  })

  it("a copied cookie's logout without the key ends nothing: the provider's tokens and ID token stay", async () => {
    const served = servers.ifSupported
    const key = await deviceKey()
    const victim = await signIn(served, key)
    const relay = async () => {
      const { accessToken } = (await (await refresh(served, victim, key)).json()) as {
        accessToken: string
      }
      const url = `${served.origin}/api/relay`
      const res = await fetch(url, {
        headers: {
          authorization: `DPoP ${accessToken}`,
          dpop: await proof(key, { htm: 'GET', htu: url, at: Date.now(), accessToken }),
        },
      })
      return res.status
    }
    expect(await relay()).toBe(200)
    /** The provider end-session URL's `id_token_hint` a browser's `GET /oidc/logout` is sent to. */
    const hintFor = async (agent: Agent) => {
      const end = await agent.request(`${served.origin}/auth/oidc/logout`)
      const location = new URL(end.headers.get('location')!, served.origin)
      return location.searchParams.get('id_token_hint')
    }

    // The cookie's value only, on another machine: no proof by the key.
    const thief = new Agent()
    thief
      .cookies(served.origin)
      .set('__Host-baton_rt', victim.cookies(served.origin).get('__Host-baton_rt')!)
    const refused = await thief.request(`${served.origin}/auth/logout`, {
      method: 'POST',
      headers: csrfFrom(served.origin),
    })
    expect(refused.status).toBe(401)
    expect(await codeOf(refused)).toBe('invalid_dpop_proof')
    expect(await hintFor(thief)).toBeNull()
    // Before: the hook ran ahead of the binding's check, forgot the provider's tokens, and the
    // victim's API calls through them got 401.
    expect(await relay()).toBe(200)

    // The key's holder signs out: the provider's session is ended with the ID token as hint.
    const url = `${served.origin}/auth/logout`
    const out = await victim.request(url, {
      method: 'POST',
      headers: { ...csrfFrom(served.origin), dpop: await proof(key, { htu: url, at: Date.now() }) },
    })
    expect(out.status).toBe(204)
    expect(await hintFor(victim)).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
  })

  it('with DPoP nonces on, the first proof is asked for a nonce and the retry starts the sign-in', async () => {
    const key = await deviceKey()
    const agent = new Agent()
    const asked = await start(servers.nonces, agent, { returnTo: '/' }, key)
    expect(asked.status).toBe(400)
    expect(asked.headers.get('www-authenticate')).toBe(NONCE_CHALLENGE)
    expect(await codeOf(asked)).toBe('use_dpop_nonce')
    const nonce = asked.headers.get('dpop-nonce')!
    const started = await start(servers.nonces, agent, { returnTo: '/' }, key, nonce)
    expect(started.status).toBe(200)
  })
})

describe('a sign-in in another tab while this one is at the provider', () => {
  it('binds the session to the key that sign-in made, the one the browser now signs with', async () => {
    const served = servers.ifSupported
    const agent = new Agent()
    const atStart = await deviceKey()
    const started = await start(served, agent, { returnTo: '/' }, atStart)
    const { location } = (await started.json()) as { location: string }
    // Meanwhile, a password sign-in in another tab of this browser makes a new key.
    const newer = await deviceKey()
    expect((await passwordSignIn(served, agent, newer)).status).toBe(200)
    // Back from the provider: the callback replaces that session.
    const callback = await loginAtIdp(agent, location, served.redirectUri, 'frank')
    expect((await agent.request(callback)).status).toBe(302)
    const granted = await refresh(served, agent, newer)
    expect(granted.status).toBe(200)
    const grant = (await granted.json()) as { accessToken: string; user: { id: string } }
    expect(grant.user.id).toBe('idp:frank')
    expect(claimsOf(grant.accessToken)['cnf']).toEqual({ jkt: newer.jkt })
  })

  it('a session older than the start keeps nothing: its key was lost, the start made the new one', async () => {
    const served = servers.ifSupported
    const agent = new Agent()
    expect((await passwordSignIn(served, agent, await deviceKey())).status).toBe(200)
    // Site data cleared: the next start signs with a key made for it.
    const made = await deviceKey()
    const started = await start(served, agent, { returnTo: '/' }, made)
    const { location } = (await started.json()) as { location: string }
    const callback = await loginAtIdp(agent, location, served.redirectUri, 'frank')
    expect((await agent.request(callback)).status).toBe(302)
    const granted = await refresh(served, agent, made)
    expect(granted.status).toBe(200)
    const { accessToken } = (await granted.json()) as { accessToken: string }
    expect(claimsOf(accessToken)['cnf']).toEqual({ jkt: made.jkt })
  })
})

describe('GET /oidc/login, the plain link', () => {
  it('without returnTo starts the sign-in, landing on /', async () => {
    const res = await new Agent().request(`${servers.ifSupported.origin}/auth/oidc/login`)
    expect(res.status).toBe(302)
    expect(new URL(res.headers.get('location')!).origin).toBe(idp.issuer)
  })

  it("a cross-site navigation to it does not strip the binding of the browser's session", async () => {
    const key = await deviceKey()
    const agent = await signIn(servers.ifSupported, key)
    // Any site can send the browser there (a top-level navigation: no CSRF check, Lax cookies go
    // along), and the provider's single sign-on answers without asking anything.
    const navigation = await agent.request(
      `${servers.ifSupported.origin}/auth/oidc/login?returnTo=%2F`,
    )
    expect(navigation.status).toBe(302)
    const callback = await loginAtIdp(
      agent,
      navigation.headers.get('location')!,
      servers.ifSupported.redirectUri,
    )
    expect((await agent.request(callback)).status).toBe(302)
    // The new session is bound to the key of the one it replaced: the cookie alone is useless.
    const unsigned = await refresh(servers.ifSupported, agent)
    expect(unsigned.status).toBe(401)
    expect(await codeOf(unsigned)).toBe('invalid_dpop_proof')
    const granted = await refresh(servers.ifSupported, agent, key)
    expect(granted.status).toBe(200)
    expect(
      claimsOf(((await granted.json()) as { accessToken: string }).accessToken)['cnf'],
    ).toEqual({ jkt: key.jkt })
  })
})

describe('binding "required" beside oidc', () => {
  it('binds a sign-in started by POST with a proof', async () => {
    const key = await deviceKey()
    const agent = await signIn(servers.required, key)
    const granted = await refresh(servers.required, agent, key)
    expect(granted.status).toBe(200)
    expect(((await granted.json()) as { tokenType: string }).tokenType).toBe('DPoP')
  })

  it('refuses a POST without a proof, and a GET navigation (it can carry none)', async () => {
    const agent = new Agent()
    const unsigned = await start(servers.required, agent, { returnTo: '/' })
    expect(unsigned.status).toBe(401)
    expect(await codeOf(unsigned)).toBe('invalid_dpop_proof')
    const navigation = await agent.request(
      `${servers.required.origin}/auth/oidc/login?returnTo=%2F`,
    )
    expect(navigation.status).toBe(302)
    expect(navigation.headers.get('location')).toBe('/login?oidc_error=invalid_request')
    expect(agent.cookies(servers.required.origin).has('__Host-baton_oidc')).toBe(false)
  })
})

describe('POST /oidc/login refuses bad input with a typed error, and no transaction', () => {
  it.each([
    ['an external returnTo', { returnTo: 'https://evil.example/' }],
    ['a returnTo that normalises to //host', { returnTo: '/.//evil.example/' }],
    ['no returnTo', {}],
    ['a returnTo that is not a string', { returnTo: ['/'] }],
    ['an unknown prompt', { returnTo: '/', prompt: 'always' }],
    // OpenID Connect Core §3.1.2.1; the provider's refusal used to come back as 503.
    ['prompt none with another value', { returnTo: '/', prompt: 'none login' }],
    ['a maxAge that is not whole seconds', { returnTo: '/', maxAge: 1.5 }],
    ['a negative maxAge', { returnTo: '/', maxAge: -1 }],
    ['a maxAge given as text', { returnTo: '/', maxAge: 'soon' }],
    ['a body that is not an object', ['/']],
  ])('%s: 400 invalid_request', async (_, body) => {
    const agent = new Agent()
    const res = await start(servers.ifSupported, agent, body, await deviceKey())
    expect(res.status).toBe(400)
    expect(await codeOf(res)).toBe('invalid_request')
    expect(agent.cookies(servers.ifSupported.origin).has('__Host-baton_oidc')).toBe(false)
  })

  it('a cross-site POST (no CSRF header): 403 csrf_failed', async () => {
    const agent = new Agent()
    const res = await agent.request(`${servers.ifSupported.origin}/auth/oidc/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
      body: JSON.stringify({ returnTo: '/' }),
    })
    expect(res.status).toBe(403)
    expect(await codeOf(res)).toBe('csrf_failed')
  })
})
