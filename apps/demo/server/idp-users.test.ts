/**
 * A user the Demo IdP signed in is a user of the demo like alice and bob: `GET /api/me` names
 * them, and the security console lists and revokes their sessions. Before, the console knew only
 * the password accounts: "Revoke all" for `idp:carol` answered 404 and her sessions were never
 * listed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig } from './config'
import { IDP_ACCOUNT } from './idp'
import { startDemoServer, type DemoServer } from './start'

const quiet = { warn() {}, error() {} }
let server: DemoServer

beforeAll(async () => {
  server = await startDemoServer({
    config: loadConfig({ PORT: '0', HOST: '127.0.0.1' }, 'production'),
    staticDir: null,
    log: null,
    logger: quiet,
  })
})
afterAll(() => server?.close())

/** A browser's cookie jar per origin, following redirects by hand. */
function browser() {
  const jars = new Map<string, Map<string, string>>()
  const jar = (url: string) => {
    const origin = new URL(url).origin
    if (!jars.has(origin)) jars.set(origin, new Map())
    return jars.get(origin)!
  }
  const request = async (url: string, init: RequestInit = {}) => {
    const cookies = jar(url)
    const headers = new Headers(init.headers)
    if (cookies.size > 0) {
      headers.set('cookie', [...cookies].map(([name, value]) => `${name}=${value}`).join('; '))
    }
    const response = await fetch(url, { ...init, headers, redirect: 'manual' })
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';')
      const at = pair.indexOf('=')
      const [name, value] = [pair.slice(0, at).trim(), pair.slice(at + 1).trim()]
      if (value === '' || /max-age=0/i.test(line)) cookies.delete(name)
      else cookies.set(name, value)
    }
    return response
  }
  /** Follows redirects from `url`; the last answer that is not one. */
  const follow = async (url: string, init?: RequestInit) => {
    let response = await request(url, init)
    for (let hop = 0; hop < 20 && response.headers.has('location'); hop++) {
      url = new URL(response.headers.get('location')!, url).href
      response = await request(url)
    }
    return { url, response }
  }
  return { request, follow }
}

const csrf = () => ({ 'x-csrf': '1', origin: server.url, 'content-type': 'application/json' })

async function accessToken(agent: ReturnType<typeof browser>) {
  const refreshed = await agent.request(`${server.url}/auth/refresh`, {
    method: 'POST',
    headers: csrf(),
  })
  expect(refreshed.status).toBe(200)
  return (await refreshed.json()) as { accessToken: string; sessionId: string }
}

describe('a user signed in through the Demo IdP', () => {
  it('is named by /api/me, listed by the security console, and revoked by its "Revoke all"', async () => {
    const carol = browser()
    const atIdp = await carol.follow(`${server.url}/auth/oidc/login?returnTo=/`)
    expect(atIdp.url).toMatch(new RegExp(`^${server.idpUrl}/interaction/`))
    const form = new URLSearchParams({
      username: IDP_ACCOUNT.username,
      password: IDP_ACCOUNT.password,
    })
    const back = await carol.follow(`${atIdp.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    })
    expect(back.url).toBe(`${server.url}/`)
    const session = await accessToken(carol)
    const me = await carol.request(`${server.url}/api/me`, {
      headers: { authorization: `Bearer ${session.accessToken}` },
    })
    expect(await me.json()).toMatchObject({ id: 'idp:carol', name: 'Carol' })

    const alice = browser()
    const login = await alice.request(`${server.url}/auth/login`, {
      method: 'POST',
      headers: csrf(),
      body: JSON.stringify({ username: 'alice', password: 'wonderland' }),
    })
    const admin = {
      authorization: `Bearer ${((await login.json()) as { accessToken: string }).accessToken}`,
    }
    const listed = (await (
      await alice.request(`${server.url}/api/admin/sessions`, { headers: admin })
    ).json()) as { users: Array<{ id: string; role: string; sessions: Array<{ id: string }> }> }
    expect(listed.users.find((user) => user.id === 'idp:carol')).toMatchObject({
      role: 'member',
      sessions: [{ id: session.sessionId }],
    })

    const revoked = await alice.request(
      `${server.url}/api/admin/users/${encodeURIComponent('idp:carol')}/sessions`,
      { method: 'DELETE', headers: { ...admin, ...csrf() } },
    )
    expect(revoked.status).toBe(200)
    expect(await revoked.json()).toStrictEqual({ revoked: [session.sessionId] })
  })
})
