import { describe, expect, it, vi } from 'vitest'
import { createSessionStore } from './store.js'

describe('createSessionStore', () => {
  it('starts loading, with the initial state kept as getInitialState', () => {
    const { view, getState } = createSessionStore()
    expect(getState()).toEqual({
      status: 'loading',
      user: null,
      sessionId: null,
      expiresAt: null,
      tokenLifetime: null,
      error: null,
      endReason: null,
      stepUp: null,
    })
    expect(view.getState).toBe(getState)
    expect(view.getInitialState()).toBe(getState())
  })

  it('merges a patch into a new state object and calls listeners with (state, previous)', () => {
    const { view, update, getState } = createSessionStore()
    const listener = vi.fn()
    view.subscribe(listener)
    const before = getState()
    update({ status: 'authenticated', user: { id: 'u1' }, sessionId: 's1' })
    const after = getState()
    expect(after).not.toBe(before)
    expect(after).toMatchObject({ status: 'authenticated', user: { id: 'u1' }, sessionId: 's1' })
    expect(after.expiresAt).toBeNull()
    expect(before.status).toBe('loading')
    expect(view.getInitialState()).toBe(before)
    expect(listener).toHaveBeenCalledTimes(1)
    expect(listener).toHaveBeenCalledWith(after, before)
  })

  it('ignores a patch that changes nothing, and stops calling an unsubscribed listener', () => {
    const { view, update, getState } = createSessionStore()
    const listener = vi.fn()
    const unsubscribe = view.subscribe(listener)
    const state = getState()
    update({ status: 'loading', error: null })
    expect(getState()).toBe(state)
    expect(listener).not.toHaveBeenCalled()
    unsubscribe()
    update({ status: 'unauthenticated' })
    expect(getState().status).toBe('unauthenticated')
    expect(listener).not.toHaveBeenCalled()
  })
})
