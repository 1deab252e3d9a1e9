/** The one revocation-listener behaviour the memory, SQLite and Redis stores share. */
import { describe, expect, it, vi } from 'vitest'
import { revocationListeners } from '../src/stores/listeners.js'
import type { RevocationListener } from '../src/stores/types.js'

describe('revocationListeners()', () => {
  it('calls every listener with the ids, once per listener however often it subscribed', () => {
    const listeners = revocationListeners()
    const a = vi.fn<RevocationListener>()
    const b = vi.fn<RevocationListener>()
    listeners.subscribe(a)
    listeners.subscribe(a)
    listeners.subscribe(b)

    listeners.notify(['s1', 's2'])

    expect(a.mock.calls).toStrictEqual([[['s1', 's2']]])
    expect(b.mock.calls).toStrictEqual([[['s1', 's2']]])
    expect(listeners.size).toBe(2)
  })

  it('calls nobody for an empty list', () => {
    const listeners = revocationListeners()
    const a = vi.fn<RevocationListener>()
    listeners.subscribe(a)

    listeners.notify([])

    expect(a).not.toHaveBeenCalled()
  })

  it('calls only the listeners of `to`, and only while they are subscribed', () => {
    const listeners = revocationListeners()
    const a = vi.fn<RevocationListener>()
    const b = vi.fn<RevocationListener>()
    const stranger = vi.fn<RevocationListener>()
    listeners.subscribe(a)
    listeners.subscribe(b)

    listeners.notify(['s1'], [b, stranger])

    expect(a).not.toHaveBeenCalled()
    expect(b.mock.calls).toStrictEqual([[['s1']]])
    expect(stranger).not.toHaveBeenCalled()
  })

  it('skips a listener that an earlier one unsubscribed during the same delivery', () => {
    const listeners = revocationListeners()
    const second = vi.fn<RevocationListener>()
    let unsubscribeSecond = () => {}
    listeners.subscribe(() => unsubscribeSecond())
    unsubscribeSecond = listeners.subscribe(second)

    listeners.notify(['s1'])

    expect(second).not.toHaveBeenCalled()
    expect(listeners.size).toBe(1)
  })

  it('still calls the others when one listener throws', () => {
    const listeners = revocationListeners()
    const after = vi.fn<RevocationListener>()
    listeners.subscribe(() => {
      throw new Error('broken listener')
    })
    listeners.subscribe(after)

    expect(() => listeners.notify(['s1'])).not.toThrow()
    expect(after.mock.calls).toStrictEqual([[['s1']]])
  })

  it('forgets a listener once it unsubscribes, and every listener on clear()', () => {
    const listeners = revocationListeners()
    const a = vi.fn<RevocationListener>()
    const b = vi.fn<RevocationListener>()
    const unsubscribeA = listeners.subscribe(a)
    listeners.subscribe(b)

    unsubscribeA()
    listeners.notify(['s1'])
    listeners.clear()
    listeners.notify(['s2'])

    expect(a).not.toHaveBeenCalled()
    expect(b.mock.calls).toStrictEqual([[['s1']]])
    expect(listeners.size).toBe(0)
  })
})
