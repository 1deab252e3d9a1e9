import { describe, expect, it } from 'vitest'
import { createEventLog, describeEvent } from './event-log'

describe('createEventLog', () => {
  it('Should keep the newest entries first, capped at the limit', () => {
    const log = createEventLog(3)
    for (let i = 1; i <= 5; i++) log.note('demo', `entry ${i}`)
    expect(log.getSnapshot().map((entry) => entry.message)).toEqual([
      'entry 5',
      'entry 4',
      'entry 3',
    ])
  })

  it('Should fold a burst of queued requests into one line with the final count', () => {
    const log = createEventLog()
    log.record({ type: 'refresh_start', source: 'local', trigger: 'expired' })
    for (let waiting = 1; waiting <= 20; waiting++) log.record({ type: 'queued', waiting })
    log.record({ type: 'released', count: 20 })
    expect(log.getSnapshot().map((entry) => entry.message)).toEqual([
      '20 queued requests released with the new token',
      'Requests queued while the token refreshes (20 waiting)',
      'Refresh started (token expired)',
    ])
  })

  it('Should notify subscribers and hand out a new snapshot on every change', () => {
    const log = createEventLog()
    let calls = 0
    const unsubscribe = log.subscribe(() => calls++)
    const before = log.getSnapshot()
    log.note('demo', 'one')
    expect(log.getSnapshot()).not.toBe(before)
    log.clear()
    unsubscribe()
    log.note('demo', 'two')
    expect(calls).toBe(2)
  })
})

describe('describeEvent', () => {
  it('Should tell this tab from another tab', () => {
    expect(describeEvent({ type: 'refresh_start', source: 'peer' })).toEqual({
      origin: 'other-tab',
      message: 'Refresh started by another tab',
    })
    expect(describeEvent({ type: 'refresh_end', source: 'local', ok: true })).toEqual({
      origin: 'this-tab',
      message: 'Refresh finished',
    })
    expect(describeEvent({ type: 'signed_out', source: 'peer', reason: 'logged_out' })).toEqual({
      origin: 'other-tab',
      message: 'Logout received from another tab (signed out)',
    })
    expect(describeEvent({ type: 'token_from_peer', expiresAt: Date.now() }).origin).toBe(
      'other-tab',
    )
  })

  it('Should not report a first visit without a session as a failure', () => {
    expect(
      describeEvent({ type: 'refresh_end', source: 'local', ok: false, error: 'no_session' }),
    ).toEqual({ origin: 'this-tab', message: 'Refresh found no session; sign-in needed' })
    expect(
      describeEvent({ type: 'refresh_end', source: 'local', ok: false, error: 'session_revoked' })
        .message,
    ).toBe('Refresh failed: session revoked')
  })
})
