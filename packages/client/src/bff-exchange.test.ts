import { ERROR_CODES, type ErrorCode } from '@baton/protocol'
import { describe, expect, it } from 'vitest'
import { failureOf, retryAfterOf } from './bff-exchange.js'
import { BatonError, RefreshNetworkError, SessionExpiredError } from './errors.js'
import { MfaRequiredError, RateLimitedError, StepUpRequiredError } from './request-errors.js'

const body = (code: string, message = `bff says ${code}`) => ({ error: { code, message } })

/** Every code the BFF sends, with its status, and what it means to a refresh. */
const ON_REFRESH: Record<ErrorCode, [status: number, kind: string, code: string]> = {
  invalid_request: [400, 'rejected', 'invalid_request'],
  payload_too_large: [413, 'rejected', 'payload_too_large'],
  invalid_credentials: [401, 'ended', 'session_expired'],
  csrf_failed: [403, 'rejected', 'csrf_failed'],
  no_session: [401, 'ended', 'session_expired'],
  session_expired: [401, 'ended', 'session_expired'],
  session_revoked: [401, 'ended', 'session_expired'],
  refresh_token_reused: [401, 'ended', 'session_expired'],
  invalid_token: [401, 'ended', 'session_expired'],
  not_found: [404, 'rejected', 'not_found'],
  rate_limited: [429, 'network', 'network_unavailable'],
  step_up_required: [401, 'ended', 'session_expired'],
  session_limit: [409, 'rejected', 'session_limit'],
  // Refused proof: the refresh stops, the session is not declared over (the BFF keeps it).
  invalid_dpop_proof: [401, 'rejected', 'invalid_dpop_proof'],
  // Asked again for a nonce after the one retry: passing trouble, backed off.
  use_dpop_nonce: [400, 'network', 'network_unavailable'],
  store_unavailable: [503, 'network', 'network_unavailable'],
  provider_unavailable: [503, 'network', 'network_unavailable'],
  mfa_required: [401, 'ended', 'session_expired'],
  jwks_unavailable: [503, 'network', 'network_unavailable'],
  internal: [500, 'network', 'network_unavailable'],
}

describe('failureOf: what a refused call means', () => {
  it.each(ERROR_CODES.map((code) => [code, ...ON_REFRESH[code]] as const))(
    'on refresh, %s (%d) is %s: %s',
    (serverCode, status, kind, code) => {
      const failure = failureOf(status, body(serverCode), true)
      expect(failure.kind).toBe(kind)
      expect(failure.error).toMatchObject({
        code,
        serverCode,
        status,
        message: `bff says ${serverCode}`,
      })
    },
  )

  it('an ended code means the end on any route; a transient code, trouble', () => {
    expect(failureOf(401, body('session_revoked'), false).kind).toBe('ended')
    expect(failureOf(400, body('store_unavailable'), false).kind).toBe('network')
  })

  it('a session end names its reason; another 401 on refresh is no_session', () => {
    expect(failureOf(401, body('session_revoked'), true).error).toMatchObject({
      reason: 'session_revoked',
    })
    expect(failureOf(401, body('invalid_credentials'), true).error).toMatchObject({
      reason: 'no_session',
    })
    expect(failureOf(401, undefined, true).error).toEqual(
      new SessionExpiredError('no_session', { status: 401 }),
    )
  })

  it('on login, a 429 is the answer to show, not a network failure', () => {
    const { kind, error } = failureOf(429, body('rate_limited'), false)
    expect(kind).toBe('rejected')
    expect(error).toBeInstanceOf(BatonError)
    expect(error).toMatchObject({ code: 'rate_limited', status: 429 })
  })

  it('keeps a code it does not know, as request_failed with serverCode', () => {
    const { kind, error } = failureOf(418, body('teapot', 'I am a teapot.'), false)
    expect(kind).toBe('rejected')
    expect(error).toMatchObject({
      code: 'request_failed',
      serverCode: 'teapot',
      status: 418,
      message: 'I am a teapot.',
    })
  })

  it('5xx and 408 are network trouble, whatever the body', () => {
    for (const status of [408, 500, 502, 503, 504]) {
      const { kind, error } = failureOf(status, '<html>Bad gateway</html>', true)
      expect(kind).toBe('network')
      expect(error).toBeInstanceOf(RefreshNetworkError)
      expect(error).toMatchObject({ status, serverCode: undefined })
      expect(error.message).toBe(`The BFF answered ${status}.`)
    }
  })

  it('a 4xx without a body is request_failed', () => {
    expect(failureOf(400, undefined, false).error).toMatchObject({
      code: 'request_failed',
      status: 400,
      message: 'The BFF answered 400.',
    })
  })
})

describe('rate limits and step-up', () => {
  const NOW = Date.UTC(2026, 10, 2, 9, 0, 0)
  const limited = { error: { code: 'rate_limited', message: 'Slow down.', retryAfter: 30 } }

  it('retryAfterOf reads Retry-After as seconds or a date, else the body', () => {
    expect(retryAfterOf(new Headers({ 'retry-after': '12' }), limited, NOW)).toBe(12)
    const date = new Date(NOW + 90_500).toUTCString() // whole seconds: 90 s from NOW
    expect(retryAfterOf(new Headers({ 'retry-after': date }), undefined, NOW)).toBe(90)
    expect(retryAfterOf(new Headers({ 'retry-after': 'soon' }), limited, NOW)).toBe(30)
    expect(retryAfterOf(new Headers(), limited, NOW)).toBe(30)
    expect(retryAfterOf(undefined, body('rate_limited'), NOW)).toBeUndefined()
  })

  it('a 429 on login is a RateLimitedError with retryAfter; on refresh, a network error that waits', () => {
    const headers = new Headers({ 'retry-after': '7' })
    const login = failureOf(429, limited, false, undefined, headers, NOW).error
    expect(login).toBeInstanceOf(RateLimitedError)
    expect(login).toMatchObject({ code: 'rate_limited', retryAfter: 7, message: 'Slow down.' })
    const refresh = failureOf(429, limited, true, undefined, headers, NOW).error
    expect(refresh).toBeInstanceOf(RefreshNetworkError)
    expect(refresh).toMatchObject({ retryAfter: 7 })
    expect(failureOf(429, undefined, false).error).toMatchObject({
      code: 'rate_limited',
      retryAfter: undefined,
    })
  })

  it("mfa_required: the ticket expires on this device's clock, however far off it is", () => {
    // The device's clock is an hour behind the BFF's: the BFF's own expiresAt would keep the
    // challenge on screen an hour past the ticket.
    const serverNow = NOW + 3_600_000
    const body = {
      error: {
        code: 'mfa_required',
        message: 'A second factor is required.',
        ticket: 'ticket-1',
        methods: ['totp'],
        expiresAt: serverNow + 300_000,
        expiresIn: 300,
      },
    }
    const error = failureOf(401, body, false, undefined, undefined, NOW).error
    expect(error).toBeInstanceOf(MfaRequiredError)
    expect(error).toMatchObject({ ticket: 'ticket-1', methods: ['totp'], expiresAt: NOW + 300_000 })
    // An older BFF without expiresIn: its expiresAt as it was sent.
    const { expiresIn: _, ...older } = body.error
    expect(failureOf(401, { error: older }, false, undefined, undefined, NOW).error).toMatchObject({
      expiresAt: serverNow + 300_000,
    })
  })

  it('step_up_required is a StepUpRequiredError with the challenge', () => {
    const error = failureOf(
      401,
      {
        error: { code: 'step_up_required', message: 'Too old.', maxAge: 300, acrValues: ['mfa'] },
      },
      false,
    ).error
    expect(error).toBeInstanceOf(StepUpRequiredError)
    expect(error).toMatchObject({
      code: 'step_up_required',
      message: 'Too old.',
      maxAge: 300,
      acrValues: ['mfa'],
      status: 401,
    })
  })
})
