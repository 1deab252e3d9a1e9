/**
 * The second-factor routes of `@baton/protocol`'s `mfa.ts`, played in front of the test BFF until
 * `@baton/bff` serves them: password login of a user with a factor answers `401 mfa_required`;
 * `login/mfa`, `login/passkey` and a factor `reauthenticate` check their proof here and then let
 * the real BFF start or prove the session (a password login or reauthentication for the user), so
 * the grants, cookies and tabs the client sees are the real ones. `factors` routes answer from
 * memory, and a removal asks for a step-up once per token, as a BFF with `maxAge` would.
 */
import { Hono } from 'hono'
import type { TestServer } from './harness'

/** The code every fake factor accepts (a TOTP code, a recovery code). */
export const GOOD_CODE = '123456'

export interface MfaContract {
  /** Users whose password login answers `mfa_required`. */
  usersWithMfa: Set<string>
  /** Every request to a second-factor route: path, method, body, Authorization, DPoP header. */
  calls: Array<{
    path: string
    method: string
    body: unknown
    auth: string | null
    dpop: string | null
  }>
  /** Tickets handed out, by value: when each expires (fake clock). */
  tickets: Map<string, number>
}

const PASSWORDS: Record<string, string> = { alice: 'alice-pw', bob: 'bob-pw' }

/** Wraps `server.app` with the contract's routes. */
export function playMfaContract(server: TestServer): MfaContract {
  const inner = server.app
  const contract: MfaContract = { usersWithMfa: new Set(), calls: [], tickets: new Map() }
  const owners = new Map<string, string>()
  /** The token a removal was refused with (a step-up is asked once). */
  const challenged = new Set<string>()
  let issued = 0
  const outer = new Hono()

  const forward = (request: Request, path: string, body: unknown) => {
    const headers = new Headers(request.headers)
    // The proof names the route the client called: the BFF behind checks the session, not it.
    headers.delete('dpop')
    if (headers.get('authorization')?.startsWith('DPoP ')) return null
    headers.set('content-type', 'application/json')
    return inner.request(new URL(path, request.url).href, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    })
  }
  const record = async (c: { req: { raw: Request; path: string; method: string } }) => {
    const body: unknown = await c.req.raw
      .clone()
      .json()
      .catch(() => undefined)
    contract.calls.push({
      path: c.req.path,
      method: c.req.method,
      body,
      auth: c.req.raw.headers.get('authorization'),
      dpop: c.req.raw.headers.get('dpop'),
    })
    return body as Record<string, unknown> | undefined
  }
  const error = (code: string, message: string, extra: object = {}) => ({
    error: { code, message, ...extra },
  })

  outer.post('/auth/login', async (c) => {
    const body = await record(c)
    const username = String(body?.username)
    if (!contract.usersWithMfa.has(username) || PASSWORDS[username] !== body?.password) {
      return inner.fetch(c.req.raw)
    }
    const ticket = `ticket-${++issued}`
    const expiresAt = Date.now() + 300_000
    contract.tickets.set(ticket, expiresAt)
    owners.set(ticket, username)
    const extra = {
      ticket,
      methods: ['totp', 'recovery_code', 'passkey'],
      expiresAt,
      expiresIn: 300,
    }
    return c.json(error('mfa_required', 'A second factor is required.', extra), 401)
  })

  outer.post('/auth/login/mfa', async (c) => {
    const body = await record(c)
    const ticket = String(body?.ticket)
    const expiresAt = contract.tickets.get(ticket)
    if (expiresAt === undefined || expiresAt <= Date.now()) {
      return c.json(
        error('session_expired', 'The sign-in ticket is unknown, used or expired.'),
        401,
      )
    }
    const proved =
      body?.method === 'passkey' ? typeof body.assertion === 'object' : body?.code === GOOD_CODE
    if (!proved) return c.json(error('invalid_credentials', 'The code is wrong.'), 401)
    contract.tickets.delete(ticket)
    const username = owners.get(ticket)!
    return forward(c.req.raw, '/auth/login', { username, password: PASSWORDS[username] })!
  })

  outer.post('/auth/login/passkey/options', async (c) => {
    await record(c)
    return c.json({ challenge: 'Y2hhbGxlbmdl', rpId: 'app.test', userVerification: 'required' })
  })

  outer.post('/auth/reauthenticate/passkey/options', async (c) => {
    await record(c)
    return c.json({ challenge: 'c3RlcC11cA', rpId: 'app.test', userVerification: 'preferred' })
  })

  outer.post('/auth/login/passkey', async (c) => {
    const body = await record(c)
    if (typeof body?.assertion !== 'object') return c.json(error('invalid_request', 'No.'), 400)
    return forward(c.req.raw, '/auth/login', { username: 'alice', password: 'alice-pw' })!
  })

  outer.post('/auth/reauthenticate', async (c) => {
    const body = await record(c)
    if (body?.method === undefined) return inner.fetch(c.req.raw)
    const proved =
      body.method === 'passkey' ? typeof body.assertion === 'object' : body.code === GOOD_CODE
    if (!proved) return c.json(error('invalid_credentials', 'The code is wrong.'), 401)
    const answer = forward(c.req.raw, '/auth/reauthenticate', {
      username: 'alice',
      password: 'alice-pw',
    })
    return answer ?? c.json(error('invalid_request', 'bound tokens are not played here'), 400)
  })

  const factors = new Map<string, { id: string; method: 'totp' | 'passkey'; label: string }>()
  outer.get('/auth/factors', async (c) => {
    await record(c)
    const list = [...factors.values()].map((f) => ({ ...f, createdAt: 1, lastUsedAt: null }))
    return c.json({ factors: list, recoveryCodesLeft: 10 })
  })
  outer.post('/auth/factors/totp', async (c) => {
    const body = await record(c)
    const id = `totp-${factors.size + 1}`
    factors.set(id, {
      id,
      method: 'totp',
      label: typeof body?.label === 'string' ? body.label : 'Authenticator',
    })
    return c.json({
      id,
      secret: 'JBSWY3DPEHPK3PXP',
      uri: `otpauth://totp/Baton:alice?secret=JBSWY3DPEHPK3PXP`,
    })
  })
  outer.post('/auth/factors/totp/:id/confirm', async (c) => {
    const body = await record(c)
    // @baton/bff answers a wrong code 401 on this bearer route, which `baton.fetch` takes for a
    // refused token (refresh, retry); 403 keeps this contract's refusal a refusal.
    if (body?.code !== GOOD_CODE)
      return c.json(error('invalid_credentials', 'The code is wrong.'), 403)
    const factor = { ...factors.get(c.req.param('id'))!, createdAt: 1, lastUsedAt: 1 }
    return c.json({ factor, recoveryCodes: Array.from({ length: 10 }, (_, i) => `first-${i}`) })
  })
  outer.post('/auth/factors/recovery-codes', async (c) => {
    await record(c)
    return c.json({ recoveryCodes: Array.from({ length: 10 }, (_, i) => `code-${i}`) })
  })
  outer.post('/auth/factors/passkey/options', async (c) => {
    await record(c)
    return c.json({
      challenge: 'cmVnaXN0ZXI',
      rp: { name: 'Baton', id: 'app.test' },
      user: { id: 'dS1hbGljZQ', name: 'alice', displayName: 'alice' },
      pubKeyCredParams: [{ alg: -7, type: 'public-key' }],
    })
  })
  outer.post('/auth/factors/passkey', async (c) => {
    const body = await record(c)
    const id = `passkey-${factors.size + 1}`
    factors.set(id, {
      id,
      method: 'passkey',
      label: typeof body?.label === 'string' ? body.label : 'Passkey',
    })
    const factor = { ...factors.get(id)!, createdAt: 1, lastUsedAt: null, backedUp: false }
    return c.json({ factor }, 201)
  })
  outer.delete('/auth/factors/:id', async (c) => {
    await record(c)
    // The first token that asks is too old; the one a step-up brings is recent enough.
    const token = c.req.header('authorization') ?? ''
    if (challenged.size === 0) {
      challenged.add(token)
      c.header('www-authenticate', 'Bearer error="insufficient_user_authentication", max_age=60')
      return c.json(error('step_up_required', 'Confirm it is you.', { maxAge: 60 }), 401)
    }
    if (!factors.delete(c.req.param('id')))
      return c.json(error('not_found', 'No such factor.'), 404)
    return c.body(null, 204)
  })
  outer.all('*', (c) => inner.fetch(c.req.raw))
  server.app = outer
  return contract
}
