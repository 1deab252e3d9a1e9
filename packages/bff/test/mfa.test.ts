/**
 * Issue 17, the BFF side: TOTP enrolment and sign-in with a second factor (`401 mfa_required`, a
 * ticket bound to its browser, `POST /auth/login/mfa`), replay, recovery codes, removal behind a
 * recent proof, step-up with a factor and `requireAuth({ acr: ['mfa'] })`, and every refusal.
 */
import { Hono } from 'hono'
import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import { createBff, memoryStore, type RequireAuthVariables } from '../src/index.js'
import { storeUnavailable } from '../src/errors.js'
import {
  authenticate,
  CLEARED_COOKIE,
  expectError,
  MINUTE,
  passwordOf,
  REFRESH_COOKIE,
  SECOND,
  type Harness,
} from './helpers.js'
import {
  ENCRYPTION_KEY,
  mfaClient,
  mfaHarness,
  totpCode,
  type TokenResponse,
} from './mfa-helpers.js'

/** Signs alice in with her password and enrols TOTP. */
async function enrolled(h: Harness) {
  const m = mfaClient(h)
  const { body, cookie } = await h.login('alice')
  const totp = await m.enrolTotp(body.accessToken)
  return { m, token: body.accessToken, cookie, ...totp }
}

/** The \`mfa_failed\` reasons of a ticket's five allowed wrong answers: the last one ends it. */
const FIVE_TRIES = ['invalid', 'invalid', 'invalid', 'invalid', 'too_many_tries']

/** Alice's ticket, answered by `count` wrong codes sent at once; their error codes, in order. */
async function wrongCodeBurst(h: Harness, count: number) {
  const { m, secret } = await enrolled(h)
  h.clock.advance(MINUTE)
  const ticket = await m.challenged()
  const wrong = totpCode(secret, h.clock.now()) === '000000' ? '111111' : '000000'
  const answers = await Promise.all(
    Array.from({ length: count }, () =>
      m.loginMfa({ ticket: ticket.ticket, method: 'totp', code: wrong }, ticket.binder),
    ),
  )
  const codes = await Promise.all(
    answers.map(async (res) => ((await res.json()) as { error: { code: string } }).error.code),
  )
  return { codes, m, secret, ticket }
}

describe('configuration', () => {
  it('refuses to start without an encryption key, or with one of the wrong size', () => {
    const base = { authenticate, store: memoryStore({ sweepInterval: 0 }) }
    expect(() => createBff({ ...base, mfa: {} as never })).toThrow(
      new TypeError(
        'createBff: mfa.encryptionKey is required: TOTP secrets are never stored unencrypted',
      ),
    )
    expect(() => createBff({ ...base, mfa: { encryptionKey: 'c2hvcnQ' } })).toThrow(
      new TypeError('createBff: mfa.encryptionKey must be 32 bytes (AES-256), got 5'),
    )
    expect(() => createBff({ ...base, mfa: { encryptionKey: ENCRYPTION_KEY } })).not.toThrow()
  })
})

describe('TOTP enrolment', () => {
  // Before, a NUL was taken (201) and PostgreSQL's JSONB then refused the factor as
  // `503 store_unavailable`: a bad input answered as an outage.
  it.each([
    ['a NUL', 'Phone\u0000'],
    ['a line break', 'Phone\nUpdate your password at evil.example'],
    ['a C1 control', 'Phone\u0085'],
  ])('refuses a label with %s: 400 invalid_request, nothing enrolled', async (_, label) => {
    const h = await mfaHarness()
    const m = mfaClient(h)
    const { body } = await h.login('alice')
    await expectError(
      await m.api('/factors/totp', body.accessToken, 'POST', { label }),
      400,
      'invalid_request',
    )
    expect(await h.store.factorStore!().listFactors('user-alice')).toStrictEqual([])
  })

  it('hands out the secret once, keeps it sealed, and lists the factor with nothing secret', async () => {
    const h = await mfaHarness()
    const m = mfaClient(h)
    const { body } = await h.login('alice')
    const res = await m.api('/factors/totp', body.accessToken, 'POST', { label: 'Phone' })
    expect(res.status).toBe(201)
    const enrolment = (await res.json()) as Record<string, string>
    expect(Object.keys(enrolment).sort()).toStrictEqual(['id', 'label', 'secret', 'uri'])
    expect(enrolment.secret).toMatch(/^[A-Z2-7]{32}$/)
    expect(enrolment.uri).toBe(
      `otpauth://totp/baton:Alice?issuer=baton&secret=${enrolment.secret}&algorithm=SHA1&digits=6&period=30`,
    )
    // Pending: not listed, and password login still needs nothing more.
    const pending = await m.api('/factors', body.accessToken, 'GET')
    expect(await pending.json()).toStrictEqual({ factors: [], recoveryCodesLeft: 0 })
    expect((await m.passwordLogin()).status).toBe(200)

    // Sealed at rest: the store holds a JWE, not the secret.
    const [stored] = await h.store.factorStore!().listFactors('user-alice')
    expect(stored!.sealedSecret).toMatch(/^eyJ[\w-]+\.\.[\w-]+\.[\w-]+\.[\w-]+$/)
    expect(JSON.stringify(stored)).not.toContain(enrolment.secret)

    const wrong = await m.api(`/factors/totp/${enrolment.id}/confirm`, body.accessToken, 'POST', {
      code: '000000',
    })
    // 403, not 401: on this bearer route a 401 would make the client refresh and retry.
    await expectError(wrong, 403, 'invalid_credentials')
    const ok = await m.api(`/factors/totp/${enrolment.id}/confirm`, body.accessToken, 'POST', {
      code: totpCode(enrolment.secret!, h.clock.now()),
    })
    expect(ok.status).toBe(200)
    const confirmed = (await ok.json()) as { factor: unknown; recoveryCodes: string[] }
    expect(confirmed.recoveryCodes).toHaveLength(10)
    for (const code of confirmed.recoveryCodes)
      expect(code).toMatch(/^([0-9A-HJKMNP-TV-Z]{4}-){3}[0-9A-HJKMNP-TV-Z]{4}$/)
    const listed = await (await m.api('/factors', body.accessToken, 'GET')).text()
    expect(JSON.parse(listed)).toStrictEqual({
      factors: [
        {
          id: enrolment.id,
          method: 'totp',
          label: 'Phone',
          createdAt: h.clock.now(),
          lastUsedAt: h.clock.now(),
        },
      ],
      recoveryCodesLeft: 10,
    })
    expect(listed).not.toContain(enrolment.secret)
    expect(listed).not.toContain(confirmed.recoveryCodes[0])
    expect(h.eventsOf('factor_added').map((e) => e.method)).toStrictEqual(['totp', 'recovery_code'])
  })

  it('refuses a secret sealed for another factor (the context is authenticated)', async () => {
    const h = await mfaHarness()
    const { secret } = await enrolled(h)
    const factors = h.store.factorStore!()
    const [alice] = await factors.listFactors('user-alice')
    // Someone with write access to the store copies alice's sealed secret onto bob's account.
    await factors.createFactor({ ...alice!, userId: 'user-bob', id: 'copied', lastStep: -1 }, 0)
    const m = mfaClient(h)
    const ticket = await m.challenged('bob')
    const code = totpCode(secret, h.clock.now() + 30_000)
    const res = await m.loginMfa({ ticket: ticket.ticket, method: 'totp', code }, ticket.binder)
    await expectError(res, 401, 'invalid_credentials')
    expect(h.logger.error).toHaveBeenCalledWith(
      '[baton] mfa: the secret of factor copied does not open',
    )
  })
})

describe('sign-in with TOTP', () => {
  it('answers mfa_required with a bound ticket, and login/mfa starts the session with amr and acr', async () => {
    const h = await mfaHarness()
    const { m, secret } = await enrolled(h)
    h.clock.advance(MINUTE)
    const ticket = await m.challenged()
    expect(ticket.methods).toStrictEqual(['totp', 'recovery_code'])
    expect(ticket.expiresAt).toBe(h.clock.now() + 5 * MINUTE)
    expect(ticket.expiresIn).toBe(300)
    expect(ticket.setCookie).toBe(
      `__Host-baton_mfa=${ticket.binder}; Max-Age=300; Path=/; HttpOnly; Secure; SameSite=Strict`,
    )
    const res = await m.loginMfa(
      { ticket: ticket.ticket, method: 'totp', code: totpCode(secret, h.clock.now()) },
      ticket.binder,
    )
    expect(res.status).toBe(200)
    const grant = (await res.json()) as TokenResponse
    const claims = decodeJwt(grant.accessToken)
    expect({ amr: claims.amr, acr: claims.acr, auth_time: claims.auth_time }).toStrictEqual({
      amr: ['pwd', 'otp', 'mfa'],
      acr: 'mfa',
      auth_time: h.clock.now() / 1000,
    })
    const cookies = res.headers.getSetCookie()
    expect(cookies[0]).toMatch(/^__Host-baton_rt=/)
    expect(cookies).toContain(
      '__Host-baton_mfa=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Strict',
    )
    expect(h.eventsOf('login')).toHaveLength(2)
  })

  it('refuses a code used once already (replay), and a used ticket', async () => {
    const h = await mfaHarness()
    const { m, secret } = await enrolled(h)
    h.clock.advance(MINUTE)
    const code = totpCode(secret, h.clock.now())
    const first = await m.challenged()
    const ok = await m.loginMfa({ ticket: first.ticket, method: 'totp', code }, first.binder)
    expect(ok.status).toBe(200)
    await expectError(
      await m.loginMfa({ ticket: first.ticket, method: 'totp', code }, first.binder),
      401,
      'session_expired',
    )
    const second = await m.challenged()
    await expectError(
      await m.loginMfa({ ticket: second.ticket, method: 'totp', code }, second.binder),
      401,
      'invalid_credentials',
    )
    // Nor the code of the step before, once a later one was used (RFC 6238 §5.2).
    const earlier = totpCode(secret, h.clock.now(), -1)
    await expectError(
      await m.loginMfa({ ticket: second.ticket, method: 'totp', code: earlier }, second.binder),
      401,
      'invalid_credentials',
    )
  })

  it('accepts one step of drift either way, not two', async () => {
    for (const [offset, status] of [
      [-1, 200],
      [1, 200],
      [-2, 401],
      [2, 401],
    ] as const) {
      const h = await mfaHarness()
      const { m, secret } = await enrolled(h)
      h.clock.advance(5 * MINUTE)
      const ticket = await m.challenged()
      const code = totpCode(secret, h.clock.now(), offset)
      const res = await m.loginMfa({ ticket: ticket.ticket, method: 'totp', code }, ticket.binder)
      expect(res.status, `offset ${offset}`).toBe(status)
    }
  })

  it('refuses a ticket past its lifetime', async () => {
    const h = await mfaHarness()
    const { m, secret } = await enrolled(h)
    const ticket = await m.challenged()
    h.clock.advance(5 * MINUTE)
    const code = totpCode(secret, h.clock.now())
    await expectError(
      await m.loginMfa({ ticket: ticket.ticket, method: 'totp', code }, ticket.binder),
      401,
      'session_expired',
    )
  })

  it('ends a ticket after five wrong codes: the right one is refused after that', async () => {
    const h = await mfaHarness()
    const { m, secret } = await enrolled(h)
    h.clock.advance(MINUTE)
    const ticket = await m.challenged()
    for (let i = 0; i < 5; i++) {
      const res = await m.loginMfa(
        { ticket: ticket.ticket, method: 'totp', code: '000000' },
        ticket.binder,
      )
      await expectError(res, 401, 'invalid_credentials')
    }
    const code = totpCode(secret, h.clock.now())
    await expectError(
      await m.loginMfa({ ticket: ticket.ticket, method: 'totp', code }, ticket.binder),
      401,
      'session_expired',
    )
    expect(h.eventsOf('mfa_failed').map((e) => e.reason)).toStrictEqual(FIVE_TRIES)
  })

  it('an answer never judged (the store failed while checking it) costs the ticket no try', async () => {
    const h = await mfaHarness({ maxTicketTries: 2 })
    const { m, secret } = await enrolled(h)
    h.clock.advance(MINUTE)
    const ticket = await m.challenged()
    // The factor store drops out for a moment while alice's answers are checked.
    const factors = h.store.factorStore!()
    const listFactors = factors.listFactors.bind(factors)
    let outage = true
    factors.listFactors = async (userId) => {
      if (outage) throw storeUnavailable(new Error('connection reset'))
      return listFactors(userId)
    }
    const code = totpCode(secret, h.clock.now())
    const answer = () => m.loginMfa({ ticket: ticket.ticket, method: 'totp', code }, ticket.binder)
    for (let i = 0; i < 5; i++) await expectError(await answer(), 503, 'store_unavailable')
    expect(h.eventsOf('mfa_failed')).toHaveLength(0)
    outage = false
    expect((await answer()).status).toBe(200)
  })

  // One answer per ticket is judged at a time: the rest of a burst is refused unjudged, as for a
  // spent ticket, and costs neither the ticket's tries nor the user's budget.
  it('a burst of parallel wrong codes gets one judged, the rest session_expired', async () => {
    const h = await mfaHarness()
    const { codes, m, secret, ticket } = await wrongCodeBurst(h, 8)
    expect(codes.sort()).toStrictEqual([
      'invalid_credentials',
      ...Array<string>(7).fill('session_expired'),
    ])
    expect(h.eventsOf('mfa_failed').map((e) => e.reason)).toStrictEqual(['invalid'])
    // The ticket is still open, with four tries left.
    const code = totpCode(secret, h.clock.now())
    const res = await m.loginMfa({ ticket: ticket.ticket, method: 'totp', code }, ticket.binder)
    expect(res.status).toBe(200)
  })

  it('refuses a ticket from another browser (no binding cookie, or another one)', async () => {
    const h = await mfaHarness()
    const { m, secret } = await enrolled(h)
    h.clock.advance(MINUTE)
    const ticket = await m.challenged()
    const other = await m.challenged()
    const code = totpCode(secret, h.clock.now())
    await expectError(
      await m.loginMfa({ ticket: ticket.ticket, method: 'totp', code }),
      401,
      'session_expired',
    )
    await expectError(
      await m.loginMfa({ ticket: ticket.ticket, method: 'totp', code }, other.binder),
      401,
      'session_expired',
    )
    // Refused before any code was checked: the code is still good with the right browser.
    const ok = await m.loginMfa({ ticket: ticket.ticket, method: 'totp', code }, ticket.binder)
    expect(ok.status).toBe(200)
  })

  it('refuses a refresh cookie sent twice as POST /login does, spending neither ticket nor code', async () => {
    const h = await mfaHarness()
    const m = mfaClient(h)
    const { body, cookie } = await h.login('alice')
    const { secret } = await m.enrolTotp(body.accessToken)
    h.clock.advance(MINUTE)
    const ticket = await m.challenged()
    const code = totpCode(secret, h.clock.now())
    // A second cookie of the name, planted by a sibling domain (cookie tossing).
    const tossed = `${REFRESH_COOKIE}=${cookie}; ${REFRESH_COOKIE}=planted-by-a-sibling-domain`
    const refused = await m.loginMfa({ ticket: ticket.ticket, method: 'totp', code }, undefined, {
      cookie: `__Host-baton_mfa=${ticket.binder}; ${tossed}`,
    })
    expect(refused.headers.getSetCookie()).toContain(CLEARED_COOKIE)
    await expectError(refused, 401, 'no_session')
    expect(h.eventsOf('cookie_conflict').map((e) => [e.route, e.count])).toStrictEqual([
      ['login', 2],
    ])
    // Before: the ticket and the code were spent first, and the retry failed.
    const retry = await m.loginMfa({ ticket: ticket.ticket, method: 'totp', code }, ticket.binder)
    expect(retry.status).toBe(200)
  })

  it('answers every malformed body with 400 invalid_request, and a forged request with 403', async () => {
    const h = await mfaHarness()
    const { m } = await enrolled(h)
    const ticket = await m.challenged()
    for (const body of [
      {},
      { ticket: ticket.ticket },
      { ticket: ticket.ticket, method: 'sms', code: '123456' },
      { ticket: ticket.ticket, method: 'totp', code: 123456 },
      { ticket: ticket.ticket, method: 'totp', code: '' },
      { ticket: 'not a ticket!', method: 'totp', code: '123456' },
      { ticket: ticket.ticket, method: 'passkey', assertion: { id: 'x' } },
      [],
    ]) {
      await expectError(await m.loginMfa(body, ticket.binder), 400, 'invalid_request')
    }
    const forged = await h.send('/auth/login/mfa', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
      body: JSON.stringify({ ticket: ticket.ticket, method: 'totp', code: '123456' }),
    })
    await expectError(forged, 403, 'csrf_failed')
  })
})

describe('recovery codes', () => {
  it('signs in once per code, in any case and spacing, and can be generated again', async () => {
    const h = await mfaHarness()
    const { m, token, cookie, secret, recoveryCodes } = await enrolled(h)
    const [first, second] = recoveryCodes as [string, string]
    const ticket = await m.challenged()
    const typed = first.toLowerCase().replace(/-/g, ' ')
    const ok = await m.loginMfa(
      { ticket: ticket.ticket, method: 'recovery_code', code: typed },
      ticket.binder,
    )
    expect(ok.status).toBe(200)
    expect(decodeJwt(((await ok.json()) as TokenResponse).accessToken).amr).toStrictEqual([
      'pwd',
      'otp',
      'mfa',
    ])
    const again = await m.challenged()
    await expectError(
      await m.loginMfa(
        { ticket: again.ticket, method: 'recovery_code', code: first },
        again.binder,
      ),
      401,
      'invalid_credentials',
    )
    const list = await m.api('/factors', token, 'GET')
    expect(((await list.json()) as { recoveryCodesLeft: number }).recoveryCodesLeft).toBe(9)

    // New codes want a proof of the factor they back up (acr mfa): the next time step's code.
    h.clock.advance(30_000)
    const stepped = await m.stepUp(token, cookie, {
      method: 'totp',
      code: totpCode(secret, h.clock.now()),
    })
    const regenerated = await m.api('/factors/recovery-codes', stepped.token)
    expect(regenerated.status).toBe(200)
    const fresh = ((await regenerated.json()) as { recoveryCodes: string[] }).recoveryCodes
    expect(fresh).toHaveLength(10)
    await expectError(
      await m.loginMfa(
        { ticket: again.ticket, method: 'recovery_code', code: second },
        again.binder,
      ),
      401,
      'invalid_credentials',
    )
    const ok2 = await m.loginMfa(
      { ticket: again.ticket, method: 'recovery_code', code: fresh[0] },
      again.binder,
    )
    expect(ok2.status).toBe(200)
  })

  it('are stored as hashes only', async () => {
    const h = await mfaHarness()
    const { recoveryCodes } = await enrolled(h)
    const factors = h.store.factorStore!()
    expect(await factors.countRecoveryCodes('user-alice')).toBe(10)
    // The plain code is not a key the store knows.
    expect(await factors.useRecoveryCode('user-alice', recoveryCodes[0]!, 0)).toBe(false)
  })

  it('cannot be generated without a factor to back up', async () => {
    const h = await mfaHarness()
    const { body } = await h.login('alice')
    const res = await mfaClient(h).api('/factors/recovery-codes', body.accessToken)
    await expectError(res, 400, 'invalid_request')
  })
})

describe('removal, step-up with a factor, and requireAuth({ acr })', () => {
  it('removes a factor only after a recent proof, which a TOTP code can give', async () => {
    const h = await mfaHarness()
    const enrolment = await enrolled(h)
    const { m, id, secret } = enrolment
    h.clock.advance(11 * MINUTE)
    // A refresh keeps the session going but proves nothing: the proof is 11 minutes old.
    const { body, cookie } = await h.refreshOk(enrolment.cookie)
    const token = body.accessToken
    const stale = await m.api(`/factors/${id}`, token, 'DELETE')
    expect(stale.status).toBe(401)
    expect(((await stale.json()) as { error: { code: string } }).error.code).toBe(
      'step_up_required',
    )

    const reauth = await h.post('/reauthenticate', {
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        cookie: `__Host-baton_rt=${cookie}`,
      },
      body: JSON.stringify({ method: 'totp', code: totpCode(secret, h.clock.now()) }),
    })
    expect(reauth.status).toBe(200)
    const stepped = (await reauth.json()) as TokenResponse
    // A step-up asks for no password: the code is its only method (`mfa-amr.test.ts`).
    expect(decodeJwt(stepped.accessToken)).toMatchObject({ amr: ['otp'], acr: 'mfa' })
    expect(h.eventsOf('reauthenticated').at(-1)?.amr).toStrictEqual(['otp'])

    expect((await m.api(`/factors/${id}`, stepped.accessToken, 'DELETE')).status).toBe(204)
    await expectError(
      await m.api(`/factors/${id}`, stepped.accessToken, 'DELETE'),
      404,
      'not_found',
    )
    // The last factor took the recovery codes with it; password login needs nothing more.
    expect(await h.store.factorStore!().countRecoveryCodes('user-alice')).toBe(0)
    expect((await m.passwordLogin()).status).toBe(200)
  })

  it('refuses factor changes to a token marked for step-up, though its session is fresh', async () => {
    const h = await mfaHarness({}, { anomalies: { actions: { ip_changed: 'step_up' } } })
    const m = mfaClient(h)
    const login = await h.login('alice', { ip: '203.0.113.7' })
    const { id } = await m.enrolTotp(login.body.accessToken)
    h.clock.advance(SECOND)
    await h.refreshOk(login.cookie, { ip: '203.0.113.7' })
    // A copied cookie replayed from elsewhere inside the grace period gets a token with
    // auth_time 0; the session's own authTime is still the owner's sign-in a second ago.
    const copy = await h.refreshOk(login.cookie, { ip: '198.51.100.20' })
    const token = copy.body.accessToken
    for (const [method, path] of [
      ['DELETE', `/factors/${id}`],
      ['POST', '/factors/totp'],
      ['POST', '/factors/passkey/options'],
      ['POST', '/factors/recovery-codes'],
    ] as const) {
      const res = await m.api(path, token, method, {})
      expect(res.status, `${method} ${path}`).toBe(401)
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
        'step_up_required',
      )
    }
    expect(h.eventsOf('factor_removed')).toStrictEqual([])
  })

  it('lets requireAuth({ acr: ["mfa"] }) refuse a password session until it steps up with a factor', async () => {
    const h = await mfaHarness()
    const app = new Hono<{ Variables: RequireAuthVariables }>()
    app.route('/', h.bff)
    app.post('/api/wire', h.bff.requireAuth({ acr: ['mfa'] }), (c) => c.json({ acr: c.var.acr }))
    const { token, cookie, secret } = await enrolled(h)
    const call = (t: string) =>
      app.request('http://localhost/api/wire', {
        method: 'POST',
        headers: { authorization: `Bearer ${t}` },
      })
    const refused = await call(token)
    expect(refused.status).toBe(401)
    expect(refused.headers.get('www-authenticate')).toContain('acr_values="mfa"')
    h.clock.advance(MINUTE)
    const wrong = await h.post('/reauthenticate', {
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        cookie: `__Host-baton_rt=${cookie}`,
      },
      body: JSON.stringify({ method: 'totp', code: '123456' }),
    })
    await expectError(wrong, 401, 'invalid_credentials')
    const reauth = await h.post('/reauthenticate', {
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        cookie: `__Host-baton_rt=${cookie}`,
      },
      body: JSON.stringify({ method: 'totp', code: totpCode(secret, h.clock.now()) }),
    })
    expect(reauth.status).toBe(200)
    const allowed = await call(((await reauth.json()) as TokenResponse).accessToken)
    expect(await allowed.json()).toStrictEqual({ acr: 'mfa' })
  })

  it('refuses the factor routes without a token, and a step-up by recovery code', async () => {
    const h = await mfaHarness()
    const { token, cookie, recoveryCodes } = await enrolled(h)
    for (const [method, path] of [
      ['GET', '/factors'],
      ['POST', '/factors/totp'],
      ['POST', '/factors/passkey/options'],
      ['DELETE', '/factors/abc'],
      ['POST', '/reauthenticate/passkey/options'],
    ] as const) {
      const res = await h.send(`/auth${path}`, { method })
      expect(res.status, `${method} ${path}`).toBe(401)
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('invalid_token')
    }
    const res = await h.post('/reauthenticate', {
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        cookie: `__Host-baton_rt=${cookie}`,
      },
      body: JSON.stringify({ method: 'recovery_code', code: recoveryCodes[0] }),
    })
    await expectError(res, 400, 'invalid_request')
  })
})

describe('rate limits', () => {
  it('refuses a user after ten wrong codes, whatever the ticket', async () => {
    const h = await mfaHarness()
    const { m, secret } = await enrolled(h)
    for (let i = 0; i < 10; i++) {
      const ticket = await m.challenged()
      const res = await m.loginMfa(
        { ticket: ticket.ticket, method: 'totp', code: '000000' },
        ticket.binder,
      )
      await expectError(res, 401, 'invalid_credentials')
    }
    h.clock.advance(SECOND)
    const ticket = await m.challenged()
    const code = totpCode(secret, h.clock.now())
    const res = await m.loginMfa({ ticket: ticket.ticket, method: 'totp', code }, ticket.binder)
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/)
  })

  it('checks no more than ten codes of a burst sent at once, each counted before it is checked', async () => {
    // A ticket judges one answer at a time, so the burst is of step-ups, which share the budget;
    // the per-IP limit of the route out of the way.
    const h = await mfaHarness(
      {},
      { rateLimit: { reauthenticate: { points: 100, duration: '1m' } } },
    )
    const { m, token, cookie, secret } = await enrolled(h)
    h.clock.advance(MINUTE)
    const wrong = totpCode(secret, h.clock.now()) === '000000' ? '111111' : '000000'
    // A session thief's guesses, all in flight before the first one is answered.
    const answers = await Promise.all(
      Array.from({ length: 40 }, () =>
        h.post('/reauthenticate', {
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${token}`,
            cookie: `__Host-baton_rt=${cookie}`,
          },
          body: JSON.stringify({ method: 'totp', code: wrong }),
        }),
      ),
    )
    const codes = await Promise.all(
      answers.map(async (res) => ((await res.json()) as { error: { code: string } }).error.code),
    )
    expect(codes.filter((code) => code === 'invalid_credentials')).toHaveLength(10)
    expect(codes.filter((code) => code !== 'invalid_credentials')).toStrictEqual(
      Array(30).fill('rate_limited'),
    )
    const next = await m.challenged()
    const right = totpCode(secret, h.clock.now())
    const res = await m.loginMfa({ ticket: next.ticket, method: 'totp', code: right }, next.binder)
    expect(res.status).toBe(429)
  })
})

/** Alice enrols TOTP, then signs in with password + TOTP: the session the attacker steals. */
async function mfaSession(h: Harness) {
  const m = mfaClient(h)
  const first = await h.login('alice')
  const { id, secret } = await m.enrolTotp(first.body.accessToken)
  h.clock.advance(MINUTE)
  const ticket = await m.challenged()
  const res = await m.loginMfa(
    { ticket: ticket.ticket, method: 'totp', code: totpCode(secret, h.clock.now()) },
    ticket.binder,
  )
  expect(res.status).toBe(200)
  const body = (await res.json()) as TokenResponse
  expect(decodeJwt(body.accessToken).acr).toBe('mfa')
  const cookie = /^__Host-baton_rt=([^;]+);/.exec(res.headers.getSetCookie()[0]!)![1]!
  // The proof ages past freshAuthMaxAge (10 min); a refresh keeps the session going.
  h.clock.advance(11 * MINUTE)
  const refreshed = await h.refreshOk(cookie)
  return { m, id, token: refreshed.body.accessToken, cookie: refreshed.cookie }
}

/** The attacker steps the stolen session up with the password alone; the token to use next. */
async function passwordStepUp(h: Harness, token: string, cookie: string) {
  const res = await h.post('/reauthenticate', {
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${token}`,
      cookie: `__Host-baton_rt=${cookie}`,
    },
    body: JSON.stringify({ username: 'alice', password: passwordOf('alice') }),
  })
  return res.status === 200 ? ((await res.json()) as TokenResponse).accessToken : token
}

describe('factor changes of a user with a second factor, after a password-only step-up', () => {
  // A stolen session plus a phished password, without the authenticator, must not make the theft
  // permanent: removing the factor or minting recovery codes wants a proof of a factor (acr mfa).
  it('DELETE /factors/:id is refused with 401 step_up_required, and the factor stays', async () => {
    const h = await mfaHarness()
    const { m, id, token, cookie } = await mfaSession(h)
    const next = await passwordStepUp(h, token, cookie)

    const res = await m.api(`/factors/${id}`, next, 'DELETE')

    expect(res.status).toBe(401)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('step_up_required')
    const list = (await (await m.api('/factors', next, 'GET')).json()) as {
      factors: Array<{ id: string }>
    }
    expect(list.factors.map((f) => f.id)).toStrictEqual([id])
  })

  it('POST /factors/recovery-codes is refused with 401 step_up_required', async () => {
    const h = await mfaHarness()
    const { m, token, cookie } = await mfaSession(h)
    const next = await passwordStepUp(h, token, cookie)

    const res = await m.api('/factors/recovery-codes', next)

    expect(res.status).toBe(401)
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('step_up_required')
  })
})

describe('factor changes with freshAuthMaxAge: false', () => {
  // Before, turning the age off turned the class off too: a session signed in with the password
  // before the factor was added (or stolen, with a phished password) removed the factor at once.
  it('still ask a session of a user with a factor for a proof of one, and of no age', async () => {
    const h = await mfaHarness({}, { freshAuthMaxAge: false })
    const m = mfaClient(h)
    const login = await h.login('alice')
    const token = login.body.accessToken
    const { id, secret } = await m.enrolTotp(token)

    const refused = await m.api(`/factors/${id}`, token, 'DELETE')
    expect(refused.status).toBe(401)
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe(
      'step_up_required',
    )
    expect(refused.headers.get('www-authenticate')).toContain('acr_values="mfa"')
    expect(refused.headers.get('www-authenticate')).not.toContain('max_age')

    h.clock.advance(MINUTE)
    const stepped = await m.stepUp(token, login.cookie, {
      method: 'totp',
      code: totpCode(secret, h.clock.now()),
    })
    // Proven with the factor, however long ago (past the default 10 min): no age is asked for.
    h.clock.advance(20 * MINUTE)
    const refreshed = await h.refreshOk(stepped.cookie)
    const removed = await m.api(`/factors/${id}`, refreshed.body.accessToken, 'DELETE')
    expect(removed.status).toBe(204)
  })
})
