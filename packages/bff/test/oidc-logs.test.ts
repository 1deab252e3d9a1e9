/**
 * What OpenID Connect sign-in and logout leave in the operator's logs and the state store: never
 * the user's ID token, nor a sign-in's `state`. Libraries hang such values on their errors
 * (ioredis: the failed command's arguments; openid-client: an authorization error's query), so
 * the BFF's logger keeps only an error's name, message, stack and error causes.
 */
import { format } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { memoryOidcStateStore, type OidcStateStore } from '../src/oidc/index.js'
import { createSealer } from '../src/oidc/seal.js'
import { Agent, loginAtIdp, startIdp, type TestIdp } from './oidc-idp.js'
import { clientOf, csrfFrom, mountOidcBff, reserve, SECRET, type Served } from './oidc-harness.js'

let idp: TestIdp
let served: Served
const logged: unknown[][] = []
const idTokens: string[] = []
const stored = new Map<string, string>()
let failEndSession = false
let stateStore: OidcStateStore

/** The memory state store, seen from outside: what it keeps, and a write that fails as Redis's. */
function recordingStore(): OidcStateStore {
  const store = memoryOidcStateStore()
  stateStore = store
  return {
    ...store,
    set: async (key, value, ttlMs) => {
      if (failEndSession && key.startsWith('end:')) {
        // What ioredis rejects a refused SET with: the command and its arguments on the error.
        throw Object.assign(new Error("OOM command not allowed when used memory > 'maxmemory'."), {
          name: 'ReplyError',
          command: { name: 'set', args: [key, value, 'PX', String(ttlMs)] },
        })
      }
      stored.set(key, value)
      return store.set(key, value, ttlMs)
    },
  }
}

beforeAll(async () => {
  served = await reserve()
  idp = await startIdp({ clients: [clientOf(served)] })
  const log = (...args: unknown[]) => void logged.push(args)
  mountOidcBff(served, idp.issuer, {
    bff: { logger: { warn: log, error: log } },
    oidc: {
      stateStore: recordingStore(),
      fetch: async (input, init) => {
        const response = await fetch(input, init)
        if (String(input instanceof Request ? input.url : input).endsWith('/token')) {
          const body = (await response.clone().json()) as { id_token?: string }
          if (body.id_token) idTokens.push(body.id_token)
        }
        return response
      },
    },
  })
})
afterAll(async () => {
  await served?.close()
  await idp?.close()
})

/** Signs in at the provider; returns the browser and the ID token the BFF got for it. */
async function signedIn() {
  const agent = new Agent()
  const start = await agent.request(`${served.origin}/auth/oidc/login?returnTo=/home`)
  const landed = await agent.request(
    await loginAtIdp(agent, start.headers.get('location')!, served.redirectUri),
  )
  expect(landed.headers.get('location')).toBe('/home')
  return { agent, idToken: idTokens.at(-1)! }
}

const logout = (agent: Agent) =>
  agent.request(`${served.origin}/auth/logout`, {
    method: 'POST',
    headers: csrfFrom(served.origin),
  })

describe('RP-initiated logout', () => {
  it('keeps the end-session URL sealed at rest, and still sends the ID token as its hint', async () => {
    const { agent, idToken } = await signedIn()
    expect((await logout(agent)).status).toBe(204)
    const [, atRest] = [...stored].find(([key]) => key.startsWith('end:'))!
    expect(atRest).not.toContain(idToken)
    const end = await agent.request(`${served.origin}/auth/oidc/logout`)
    const location = new URL(end.headers.get('location')!)
    expect(location.searchParams.get('id_token_hint')).toBe(idToken)
  })

  it('a failed write of it is logged without the ID token or what was written', async () => {
    const { agent, idToken } = await signedIn()
    logged.length = 0
    failEndSession = true
    try {
      expect((await logout(agent)).status).toBe(204)
    } finally {
      failEndSession = false
    }
    expect(logged.map((args) => args[0])).toStrictEqual([
      '[baton] oidc: could not prepare the provider logout',
    ])
    const text = logged.map((args) => format(...args)).join('\n')
    expect(text).toContain('OOM command not allowed')
    // Before: the whole error was logged, its `command.args` with the URL and its ID token.
    expect(text).not.toContain('end:')
    expect(text).not.toContain(idToken)
  })
})

describe('an end-session ticket written by the build before the URL was sealed', () => {
  /** Signs in and out; the ticket's key and its URL, written back unsealed as that build did. */
  async function ticketOfThePreviousBuild(plain: (url: string) => string) {
    const { agent } = await signedIn()
    stored.clear()
    expect((await logout(agent)).status).toBe(204)
    const [key, sealed] = [...stored].find(([name]) => name.startsWith('end:'))!
    const { u } = (await createSealer([SECRET]).open('end_session', sealed, Date.now())) as {
      u: string
    }
    await stateStore.set(key, plain(u), 60_000)
    return { agent, url: u }
  }

  it('is still followed to the provider’s end-session endpoint during a rolling upgrade', async () => {
    const { agent, url } = await ticketOfThePreviousBuild((u) => u)
    const end = await agent.request(`${served.origin}/auth/oidc/logout`)
    expect(end.status).toBe(302)
    // Before: the plain URL did not open as a sealed value, and the provider session was kept.
    expect(end.headers.get('location')).toBe(url)
  })

  it('is not followed anywhere but that endpoint', async () => {
    const { agent } = await ticketOfThePreviousBuild(() => 'https://attacker.example/session/end')
    const end = await agent.request(`${served.origin}/auth/oidc/logout`)
    expect(end.status).toBe(302)
    expect(end.headers.get('location')).toBe(`${served.origin}/signed-out`)
  })
})

describe('a provider error redirect', () => {
  it('is logged without the sign-in’s state', async () => {
    const agent = new Agent()
    await agent.request(`${served.origin}/auth/oidc/login?returnTo=/home`)
    const sealed = agent.cookies(served.origin).get('__Host-baton_oidc')!
    const { state } = (await createSealer([SECRET]).open('transaction', sealed, Date.now())) as {
      state: string
    }
    logged.length = 0
    // What the provider sends back when it fails (RFC 6749 §4.1.2.1, RFC 9207 iss).
    const query = new URLSearchParams({ error: 'server_error', state, iss: idp.issuer })
    const back = await agent.request(`${served.redirectUri}?${query.toString()}`)
    expect(back.headers.get('location')).toBe('/login?oidc_error=provider_error')
    expect(logged.map((args) => args[0])).toStrictEqual([
      '[baton] OpenID Connect sign-in failed: provider_error',
    ])
    // Before: openid-client's error was logged whole, its `cause` the callback's query.
    expect(logged.map((args) => format(...args)).join('\n')).not.toContain(state)
  })
})
