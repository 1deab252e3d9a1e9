/**
 * The wire contract, pinned: the client classifies every code the BFF can send, reads only fields
 * of the bodies the BFF writes, and hands tabs exactly the protocol's messages.
 */
import type {
  ErrorCode,
  GrantBody,
  OidcLoginBody,
  OidcLoginStartedBody,
  SessionEndCode,
  SessionListBody,
  SessionSummary as WireSessionSummary,
  SessionUser,
  TabEndReason,
  TabGrant,
  TabMessage,
  TRANSIENT_CODES,
} from '@baton/protocol'
import { describe, expectTypeOf, it } from 'vitest'
import type { CODE_CLASSES, CodesOf, RejectedCode } from './auth-codes.js'
import type { BatonErrorCode } from './errors.js'
import type { ClientEvent } from './events.js'
import type { grantFromBody, Grant, Unchecked } from './grant.js'
import type { LoginRedirectOptions, SessionSummary } from './index.js'
import type { oidcLoginBody } from './sign-out.js'
import type { END_REASONS, parseTabMessage } from './tab-messages.js'

describe('error codes', () => {
  it('every code the BFF can send is classified, and nothing else', () => {
    expectTypeOf<keyof typeof CODE_CLASSES>().toEqualTypeOf<ErrorCode>()
    expectTypeOf<Exclude<ErrorCode, keyof typeof CODE_CLASSES>>().toBeNever()
  })

  it('the classes agree with the protocol’s lists', () => {
    expectTypeOf<CodesOf<'ended'>>().toEqualTypeOf<SessionEndCode>()
    // `use_dpop_nonce` is answered by a retry with the nonce; one that comes back after it is
    // passing trouble on the client's side, though the protocol does not list it as the server's.
    expectTypeOf<CodesOf<'transient'>>().toEqualTypeOf<
      (typeof TRANSIENT_CODES)[number] | 'use_dpop_nonce'
    >()
    expectTypeOf<
      Exclude<ErrorCode, CodesOf<'ended'> | CodesOf<'transient'> | CodesOf<'rejected'>>
    >().toBeNever()
  })

  it('every refusal becomes a BatonError of the same code', () => {
    expectTypeOf<Exclude<RejectedCode, BatonErrorCode>>().toBeNever()
    expectTypeOf<'not_found' | 'csrf_failed' | 'invalid_credentials'>().toExtend<RejectedCode>()
    expectTypeOf<'invalid_dpop_proof'>().toExtend<RejectedCode>()
    expectTypeOf<'use_dpop_nonce'>().not.toExtend<RejectedCode>()
  })
})

describe('bodies', () => {
  it('the parsed grant reads only fields of GrantBody', () => {
    expectTypeOf<Parameters<typeof grantFromBody>[0]>().toEqualTypeOf<Unchecked<GrantBody>>()
    expectTypeOf<keyof Unchecked<GrantBody>>().toEqualTypeOf<keyof GrantBody>()
  })

  it('the grant it makes is the protocol’s TabGrant, with the body’s user and ids', () => {
    expectTypeOf<Grant<SessionUser>>().toEqualTypeOf<TabGrant>()
    expectTypeOf<Grant<SessionUser>['user']>().toEqualTypeOf<GrantBody['user']>()
    expectTypeOf<Pick<Grant, 'accessToken' | 'sessionId' | 'expiresAt'>>().toEqualTypeOf<
      Pick<GrantBody, 'accessToken' | 'sessionId' | 'expiresAt'>
    >()
  })

  it('loginWithRedirect() sends the protocol’s OidcLoginBody, its options field for field', () => {
    expectTypeOf<ReturnType<typeof oidcLoginBody>>().toEqualTypeOf<OidcLoginBody>()
    expectTypeOf<Required<LoginRedirectOptions>>().toEqualTypeOf<Required<OidcLoginBody>>()
    expectTypeOf<OidcLoginStartedBody>().toEqualTypeOf<{ location: string }>()
  })

  it('the session list is the protocol’s', () => {
    expectTypeOf<SessionSummary>().toEqualTypeOf<WireSessionSummary>()
    expectTypeOf<SessionListBody['sessions']>().toEqualTypeOf<SessionSummary[]>()
  })
})

describe('tab messages', () => {
  it('the parser yields the protocol’s messages', () => {
    expectTypeOf<
      ReturnType<typeof parseTabMessage<SessionUser>>
    >().toEqualTypeOf<TabMessage | null>()
  })

  it('every end reason is accepted', () => {
    expectTypeOf<(typeof END_REASONS)[number]>().toEqualTypeOf<TabEndReason>()
  })
})

describe('client events', () => {
  it('are snake_case, like the BFF’s', () => {
    type Kebab = Extract<ClientEvent['type'], `${string}-${string}`>
    expectTypeOf<Kebab>().toBeNever()
    expectTypeOf<ClientEvent['type']>().toEqualTypeOf<
      | 'refresh_start'
      | 'refresh_end'
      | 'token_from_peer'
      | 'signed_in'
      | 'signed_out'
      | 'queued'
      | 'released'
      | 'retry_scheduled'
      | 'step_up_required'
      | 'step_up_end'
    >()
  })
})
