import { describe, expect, it } from 'vitest'
import { sameOriginPath } from './router'

const ORIGIN = 'http://localhost:5173'

describe('sameOriginPath', () => {
  it.each([
    ['/devices', '/devices'],
    ['/devices?x=1', '/devices?x=1'],
    ['/devices?x=1#top', '/devices?x=1#top'],
    [`${ORIGIN}/devices`, '/devices'],
  ])('Should keep %s, a path of this app, as %s', (target, path) => {
    expect(sameOriginPath(target, ORIGIN)).toBe(path)
  })

  it.each([
    '//evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    'https://evil.example',
    'http://localhost:5174/devices',
    'javascript:alert(1)',
    '',
    null,
  ])('Should send %o, which leads elsewhere, to /', (target) => {
    expect(sameOriginPath(target, ORIGIN)).toBe('/')
  })
})
