/**
 * Step-up authentication (RFC 9470, issue 13 item 3) against the real BFF: a route that wants a
 * recent sign-in refuses an old one with the challenge, the request waits (no refresh), the user
 * reauthenticates in one tab, every tab gets the grant, and the waiting requests are retried once.
 */
import {
  BatonError,
  RateLimitedError,
  SessionExpiredError,
  StepUpRequiredError,
  isBatonError,
  type ClientEvent,
} from '@baton/client'
import { describe, expect, it } from 'vitest'
import {
  abortingOn401,
  advance,
  drain,
  holding,
  ORIGIN,
  run,
  settled,
  signedInTabs,
  useBrowser,
  type Tab,
} from './harness'

const env = useBrowser()

const MAX_AGE = 60
const alice = { username: 'alice', password: 'alice-pw' }

/** Two signed-in tabs whose sign-in is older than the sensitive route's `maxAge`. */
async function staleTabs(count = 2, options = {}): Promise<Tab[]> {
  const tabs = await signedInTabs(env.browser, count, options)
  await advance((MAX_AGE + 1) * 1000)
  return tabs
}

const sensitive = (tab: Tab, body: unknown = { transfer: 1 }) =>
  tab.client.fetch('http://app.test/api/sensitive', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })

const stepUpEvents = (events: ClientEvent[]) => events.filter((e) => e.type.startsWith('step_up'))

describe('a step-up challenge', () => {
  it('holds the request until a reauthentication in one tab; every tab gets the grant', async () => {
    const [a, b] = await staleTabs()
    const refreshes = env.server.refreshCount()
    const first = settled(sensitive(a!, { from: 'a' }))
    const second = settled(sensitive(b!, { from: 'b' }))
    await drain()
    expect(first.done).toBe(false)
    expect(second.done).toBe(false)
    expect(a!.client.store.getState().stepUp).toEqual({ maxAge: MAX_AGE })
    expect(b!.client.store.getState().stepUp).toEqual({ maxAge: MAX_AGE })
    expect(env.server.apiCalls.map((call) => [call.path, call.status])).toEqual([
      ['/api/sensitive', 401],
      ['/api/sensitive', 401],
    ])

    await run(a!.client.reauthenticate(alice))
    await drain()
    expect(first.done && second.done).toBe(true)
    const answerA = (await (first.value as Response).json()) as { body: unknown; authTime: number }
    const answerB = (await (second.value as Response).json()) as { body: unknown }
    expect((first.value as Response).status).toBe(200)
    expect(answerA.body).toEqual({ from: 'a' })
    expect(answerB.body).toEqual({ from: 'b' })
    expect(answerA.authTime).toBe(Math.floor(Date.now() / 1000) * 1000)
    // The challenge is no refresh trigger, and b needed none: a's grant reached it.
    expect(env.server.refreshCount()).toBe(refreshes)
    expect(env.server.reauthenticateCount()).toBe(1)
    expect(a!.client.store.getState().stepUp).toBeNull()
    expect(b!.client.store.getState().stepUp).toBeNull()
    expect(await b!.client.getAccessToken()).toBe(await a!.client.getAccessToken())
    expect(stepUpEvents(a!.events)).toEqual([
      { type: 'step_up_required', maxAge: MAX_AGE },
      { type: 'step_up_end', ok: true, source: 'local' },
    ])
    expect(stepUpEvents(b!.events)).toEqual([
      { type: 'step_up_required', maxAge: MAX_AGE },
      { type: 'step_up_end', ok: true, source: 'peer' },
    ])
    expect(b!.events).toContainEqual(expect.objectContaining({ type: 'token_from_peer' }))
    // Each request went out twice: refused, then retried once with the new token.
    const tokens = env.server.apiCalls.map((call) => call.token)
    expect(env.server.apiCalls.map((call) => call.status)).toEqual([401, 401, 200, 200])
    expect(tokens[2]).toBe(tokens[3])
    expect(tokens[2]).not.toBe(tokens[0])
  })

  it('a wrong password rejects reauthenticate with a typed error and keeps the request waiting', async () => {
    const [tab] = await staleTabs(1)
    const request = settled(sensitive(tab!))
    await drain()
    const error: unknown = await run(
      tab!.client.reauthenticate({ username: 'alice', password: 'wrong' }),
    ).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BatonError)
    expect(error).toMatchObject({ code: 'invalid_credentials', status: 401 })
    expect(tab!.client.store.getState()).toMatchObject({
      status: 'authenticated',
      stepUp: { maxAge: MAX_AGE },
    })
    expect(request.done).toBe(false)
    await run(tab!.client.reauthenticate(alice))
    await drain()
    expect((request.value as Response).status).toBe(200)
  })

  it('cancelStepUp rejects the waiting requests with StepUpRequiredError', async () => {
    const [tab] = await staleTabs(1)
    const request = settled(sensitive(tab!))
    await drain()
    tab!.client.cancelStepUp()
    await drain()
    expect(request.error).toBeInstanceOf(StepUpRequiredError)
    expect(request.error).toMatchObject({ code: 'step_up_required', maxAge: MAX_AGE })
    expect(isBatonError(request.error)).toBe(true)
    expect(tab!.client.store.getState().stepUp).toBeNull()
    expect(stepUpEvents(tab!.events).at(-1)).toEqual({
      type: 'step_up_end',
      ok: false,
      source: 'local',
    })
    // Nothing waits: cancelling again changes nothing.
    tab!.client.cancelStepUp()
  })

  it('gives up after stepUpTimeout', async () => {
    const [tab] = await staleTabs(1, { stepUpTimeout: '30s' })
    const request = settled(sensitive(tab!))
    await drain()
    await advance(29_999)
    expect(request.done).toBe(false)
    expect(tab!.client.store.getState().stepUp).toEqual({ maxAge: MAX_AGE })
    await advance(1)
    expect(request.error).toBeInstanceOf(StepUpRequiredError)
    expect(request.error).toMatchObject({ message: 'No step-up authentication in time.' })
    expect(tab!.client.store.getState().stepUp).toBeNull()
  })

  it('an aborted request stops waiting; the last one gone clears stepUp', async () => {
    const [tab] = await staleTabs(1)
    const controller = new AbortController()
    const request = settled(
      tab!.client.fetch('http://app.test/api/sensitive', {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json' },
        signal: controller.signal,
      }),
    )
    await drain()
    controller.abort(new Error('left the page'))
    await drain()
    expect(request.error).toEqual(new Error('left the page'))
    expect(tab!.client.store.getState().stepUp).toBeNull()
  })

  it('works through ky, within its timeout', async () => {
    const [tab] = await staleTabs(1)
    const call = settled(tab!.api.post('sensitive', { json: { via: 'ky' } }).json())
    await drain()
    expect(tab!.client.store.getState().stepUp).toEqual({ maxAge: MAX_AGE })
    await advance(5_000) // the user types the password
    await run(tab!.client.reauthenticate(alice))
    await drain()
    expect(call.value).toMatchObject({ body: { via: 'ky' } })
  })

  it('a session that ended meanwhile rejects the waiting request with its reason', async () => {
    const [tab] = await staleTabs(1)
    const request = settled(sensitive(tab!))
    await drain()
    await run(tab!.client.logout())
    await drain()
    expect(request.error).toMatchObject({ code: 'session_expired', reason: 'logged_out' })
    expect(tab!.client.store.getState().stepUp).toBeNull()
  })

  it('arriving after the user signed out rejects the request with the session’s end, and asks for no step-up', async () => {
    const { transport, release } = holding(env.browser, '/api/sensitive')
    const [tab] = await staleTabs(1, { fetch: transport })
    const request = settled(sensitive(tab!))
    await drain()
    await run(tab!.client.logout())
    expect(tab!.client.store.getState().status).toBe('unauthenticated')
    release() // the step-up challenge comes back now
    await drain()
    expect({ stepUp: tab!.client.store.getState().stepUp, settled: request.done }).toEqual({
      stepUp: null,
      settled: true,
    })
    expect(request.error).toBeInstanceOf(SessionExpiredError)
    expect(request.error).toMatchObject({ reason: 'logged_out' })
    expect(stepUpEvents(tab!.events)).toEqual([])
  })

  it('a request refused by a token older than a step-up done meanwhile is retried at once', async () => {
    const [a, b] = await staleTabs()
    await run(a!.client.reauthenticate(alice))
    await drain()
    // b adopted a's grant; a request it sent with its old token would be retried without asking.
    expect(b!.client.store.getState().stepUp).toBeNull()
    const response = await run(sensitive(b!))
    expect(response.status).toBe(200)
    expect(stepUpEvents(b!.events)).toEqual([])
  })
})

describe('reauthenticate', () => {
  it('a 429 rejects with RateLimitedError and keeps the step-up pending', async () => {
    const [tab] = await staleTabs(1)
    const request = settled(sensitive(tab!))
    await drain()
    env.server.reauthenticateRateLimited = true
    const error: unknown = await run(tab!.client.reauthenticate(alice)).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RateLimitedError)
    expect(error).toMatchObject({ code: 'rate_limited', retryAfter: 9, message: 'Wait.' })
    expect(tab!.client.store.getState().stepUp).toEqual({ maxAge: MAX_AGE })
    expect(request.done).toBe(false)
  })

  it('also works before any challenge, for a sensitive action the app knows about', async () => {
    const [tab] = await staleTabs(1)
    await run(tab!.client.reauthenticate(alice))
    expect((await run(sensitive(tab!))).status).toBe(200)
    expect(env.server.apiCalls.map((call) => call.status)).toEqual([200])
  })
})

describe('sessions routes that need a recent sign-in', () => {
  it('revokeOthers waits for the step-up, longer than requestTimeout, then ends the others', async () => {
    env.restart({ freshAuthMaxAge: '60s' })
    const [tab] = await staleTabs(1)
    const [laptop] = await signedInTabs(env.newBrowser(), 1)
    // The laptop signed in just now, this tab a minute ago: only this one needs the step-up.
    const revoking = settled(tab!.client.sessions.revokeOthers())
    await drain()
    expect(tab!.client.store.getState().stepUp).toEqual({ maxAge: 60 })
    await advance(20_000) // twice requestTimeout: the user's typing is not the network
    expect(revoking.done).toBe(false)
    await run(tab!.client.reauthenticate(alice))
    await drain()
    expect(revoking).toEqual({ done: true, value: undefined })
    expect(await run(tab!.client.sessions.list())).toHaveLength(1)
    laptop!.client.invalidateAccessToken()
    await expect(run(laptop!.client.getAccessToken())).rejects.toMatchObject({
      reason: 'session_revoked',
    })
  })

  it('revoke rejects with StepUpRequiredError when the step-up is cancelled', async () => {
    env.restart({ freshAuthMaxAge: '60s' })
    const [tab] = await staleTabs(1)
    const [laptop] = await signedInTabs(env.newBrowser(), 1)
    const revoking = settled(
      tab!.client.sessions.revoke(laptop!.client.store.getState().sessionId!),
    )
    await drain()
    tab!.client.cancelStepUp()
    await drain()
    expect(revoking.error).toBeInstanceOf(StepUpRequiredError)
    expect(revoking.error).toMatchObject({ maxAge: 60 })
    expect(await run(tab!.client.sessions.list())).toHaveLength(2)
  })
})

describe('a request aborted once its step-up challenge arrived', () => {
  it('an aborted request asks nobody for a step-up', async () => {
    const aborting = abortingOn401(env.browser)
    const [tab] = await signedInTabs(env.browser, 1, { fetch: aborting.fetch })
    await advance(61_000) // older than the sensitive route's maxAge (60 s)
    const seen: unknown[] = []
    tab!.client.store.subscribe((s) => seen.push(s.stepUp))
    aborting.arm()
    const error: unknown = await run(
      tab!.client.fetch(`${ORIGIN}/api/sensitive`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
        signal: aborting.signal,
      }),
    ).catch((e: unknown) => e)
    expect(error).toEqual(new Error('gone'))
    // Before: step_up_required then step_up_end, and the store's stepUp set and cleared.
    expect(tab!.events.filter((e) => e.type.startsWith('step_up'))).toEqual([])
    expect(seen).toEqual([])
  })
})
