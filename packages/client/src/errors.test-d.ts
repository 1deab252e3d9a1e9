/** `isBatonError` narrows to a union that `switch (error.code)` narrows further, as documented. */
import { describe, expectTypeOf, it } from 'vitest'
import {
  BatonError,
  isBatonError,
  type RefreshNetworkError,
  type SessionExpiredError,
  type AnyBatonError,
  type SessionEndReason,
} from './errors.js'
import type { RateLimitedError, StepUpRequiredError } from './request-errors.js'
import type { SessionState } from './store.js'

describe('isBatonError', () => {
  it('narrows to AnyBatonError', () => {
    const error: unknown = null
    if (isBatonError(error)) expectTypeOf(error).toEqualTypeOf<AnyBatonError>()
  })

  it('lets switch (error.code) reach each subclass', () => {
    const error: unknown = null
    if (!isBatonError(error)) return
    switch (error.code) {
      case 'session_expired':
        expectTypeOf(error).toEqualTypeOf<SessionExpiredError>()
        expectTypeOf(error.reason).toEqualTypeOf<SessionEndReason>()
        break
      case 'network_unavailable':
        expectTypeOf(error).toEqualTypeOf<RefreshNetworkError>()
        expectTypeOf(error.retryAfter).toEqualTypeOf<number | undefined>()
        break
      case 'step_up_required':
        expectTypeOf(error).toEqualTypeOf<StepUpRequiredError>()
        expectTypeOf(error.maxAge).toEqualTypeOf<number | undefined>()
        expectTypeOf(error.acrValues).toEqualTypeOf<readonly string[] | undefined>()
        break
      case 'rate_limited':
        expectTypeOf(error).toEqualTypeOf<RateLimitedError>()
        expectTypeOf(error.retryAfter).toEqualTypeOf<number | undefined>()
        break
      case 'not_found':
        expectTypeOf(error).toExtend<BatonError>()
        expectTypeOf(error.code).toEqualTypeOf<'not_found'>()
        break
      case 'request_failed':
        expectTypeOf(error.serverCode).toEqualTypeOf<string | undefined>()
        break
    }
  })

  it('the store’s error narrows the same way', () => {
    const { error } = null as unknown as SessionState
    if (error?.code === 'session_expired')
      expectTypeOf(error.reason).toEqualTypeOf<SessionEndReason>()
  })
})

describe('BatonError', () => {
  it('takes only known codes', () => {
    // @ts-expect-error not a Baton error code
    new BatonError('teapot', 'no')
    expectTypeOf(new BatonError('csrf_failed', 'no').code).toEqualTypeOf<'csrf_failed'>()
  })
})
