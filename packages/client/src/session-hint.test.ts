import { afterEach, describe, expect, it, vi } from 'vitest'
import { documentCookies, hasSessionHint, sessionHintValue } from './session-hint.js'

describe('hasSessionHint', () => {
  it.each([
    ['baton_session=1', true],
    ['a=1; baton_session=1; b=2', true],
    ['a=1;baton_session=', true],
    ['', false],
    ['a=1', false],
    ['xbaton_session=1', false],
    ['baton_session_old=1', false],
    ['a=baton_session', false],
  ])('%j → %s', (cookies, expected) => {
    expect(hasSessionHint(cookies, 'baton_session')).toBe(expected)
  })

  it('knows nothing without cookies, or when turned off', () => {
    expect(hasSessionHint(null, 'baton_session')).toBeNull()
    expect(hasSessionHint('baton_session=1', false)).toBeNull()
  })
})

describe('sessionHintValue', () => {
  it.each([
    ['baton_session=sRfms5NO6doa', 'sRfms5NO6doa'],
    ['a=1; baton_session=1; b=2', '1'],
    ['a=1;baton_session=', ''],
    ['baton_session', ''],
    ['xbaton_session=1; a=baton_session', false],
    ['', false],
  ])('%j → %j', (cookies, expected) => {
    expect(sessionHintValue(cookies, 'baton_session')).toBe(expected)
  })

  it('knows nothing without cookies, or when turned off', () => {
    expect(sessionHintValue(null, 'baton_session')).toBeNull()
    expect(sessionHintValue('baton_session=1', false)).toBeNull()
  })
})

describe('documentCookies', () => {
  afterEach(() => void vi.unstubAllGlobals())

  it('is null where there is no document', () => {
    expect(documentCookies()).toBeNull()
  })

  it('reads document.cookie', () => {
    vi.stubGlobal('document', { cookie: 'a=1' })
    expect(documentCookies()).toBe('a=1')
  })

  it('is null when document.cookie throws (a sandboxed iframe)', () => {
    vi.stubGlobal('document', {
      get cookie(): string {
        throw new DOMException('The document is sandboxed', 'SecurityError')
      },
    })
    expect(documentCookies()).toBeNull()
  })
})
