import { describe, expect, it } from 'vitest'
import { parseDuration } from './duration.js'

describe('parseDuration', () => {
  it.each([
    [0, 0],
    [1500, 1500],
    ['250ms', 250],
    ['10s', 10_000],
    ['1.5s', 1_500],
    ['5m', 300_000],
    ['24h', 86_400_000],
    ['30d', 2_592_000_000],
    [' 7 ', 7],
  ] as const)('reads %j as %d ms', (input, ms) => {
    expect(parseDuration(input, 'x')).toBe(ms)
  })

  it.each([-1, Infinity, NaN])('refuses the number %d, naming the option', (input) => {
    expect(() => parseDuration(input, 'accessTokenTtl')).toThrow(
      new TypeError(`accessTokenTtl must be a non-negative number of milliseconds, got ${input}`),
    )
  })

  it.each(['', '5 minutes', '-1s', '1e3', '10w'])('refuses the string %j', (input) => {
    expect(() => parseDuration(input, 'idleTimeout')).toThrow(
      new TypeError(`idleTimeout must be a duration such as "10s", "5m" or "24h", got "${input}"`),
    )
  })
})
