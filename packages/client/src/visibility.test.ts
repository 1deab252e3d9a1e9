import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { browserWake } from './visibility.js'

describe('browserWake (the default wake adapter)', () => {
  const doc = Object.assign(new EventTarget(), { visibilityState: 'visible' })
  const win = new EventTarget()
  beforeEach(() => {
    vi.stubGlobal('document', doc)
    vi.stubGlobal('window', win)
  })
  afterEach(() => void vi.unstubAllGlobals())

  it.each([
    [doc, 'visibilitychange'],
    [doc, 'resume'],
    [win, 'online'],
    [win, 'focus'],
    [win, 'pageshow'],
  ] as const)('wakes on %s %s', (target, type) => {
    const onWake = vi.fn()
    const stop = browserWake(onWake)
    target.dispatchEvent(new Event(type))
    expect(onWake).toHaveBeenCalledTimes(1)
    stop()
    target.dispatchEvent(new Event(type))
    expect(onWake).toHaveBeenCalledTimes(1)
  })

  it('not when the page becomes hidden', () => {
    const onWake = vi.fn()
    const stop = browserWake(onWake)
    doc.visibilityState = 'hidden'
    doc.dispatchEvent(new Event('visibilitychange'))
    doc.visibilityState = 'visible'
    expect(onWake).not.toHaveBeenCalled()
    stop()
  })

  it('listens to nothing where there is no document or window', () => {
    vi.unstubAllGlobals()
    expect(() => browserWake(() => {})()).not.toThrow()
  })
})
