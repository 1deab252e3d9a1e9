/**
 * The IPv4 parser behind rate-limit keys and `trustProxy` scans by hand (issue 15: it runs several
 * times per request). It must accept exactly what the rule "four parts of one to three digits,
 * 0–255, no leading zero" accepts, which the regular expression below states.
 */
import { describe, expect, it } from 'vitest'
import { clientKey, networkKey, parseIp } from '../src/rate-limit/ip.js'

const PART = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/
const byRule = (text: string) => {
  const parts = text.split('.')
  return parts.length === 4 && parts.every((part) => PART.test(part)) ? parts.map(Number) : null
}

const CASES = [
  '0.0.0.0',
  '255.255.255.255',
  '10.0.1.7',
  '192.168.001.1',
  '01.2.3.4',
  '1.2.3.04',
  '1.2.3.256',
  '1.2.3.1000',
  '1.2.3',
  '1.2.3.4.',
  '.1.2.3.4',
  '1..2.3',
  '1.2.3.4.5',
  '',
  '.',
  '1.2.3.-4',
  '1.2.3.4 ',
  '1.2.3.+4',
  '١.٢.٣.٤',
  '1.2.3.0x4',
  '999.1.1.1',
  '249.250.251.252',
  '199.200.201.202',
]

describe('parseIp (IPv4)', () => {
  it.each(CASES)('reads %j as the rule does', (text) => {
    const parsed = parseIp(text)
    const expected = byRule(text.trim())
    if (expected === null) {
      expect(parsed === null || parsed.version === 6).toBe(true)
    } else {
      expect(parsed).toStrictEqual({ version: 4, bytes: expected })
    }
  })

  it('agrees with the rule on every dotted string of small parts', () => {
    const parts = [
      '0',
      '00',
      '7',
      '09',
      '10',
      '99',
      '100',
      '199',
      '200',
      '249',
      '255',
      '256',
      '300',
    ]
    for (const a of parts) {
      for (const b of parts) {
        const text = `${a}.1.${b}.2`
        const parsed = parseIp(text)
        expect(parsed === null ? null : parsed.version === 4 ? parsed.bytes : 'v6').toStrictEqual(
          byRule(text),
        )
      }
    }
  })

  it('still unwraps brackets, trims, and folds IPv4-mapped IPv6', () => {
    expect(parseIp(' [10.1.2.3] ')).toStrictEqual({ version: 4, bytes: [10, 1, 2, 3] })
    expect(parseIp('::ffff:10.1.2.3')).toStrictEqual({ version: 4, bytes: [10, 1, 2, 3] })
    expect(clientKey('10.1.2.3')).toBe('10.1.2.3')
    expect(networkKey('10.1.2.3')).toBe('10.1.2.0/24')
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64')
    expect(clientKey('not an ip')).toBe('?not an ip')
  })
})
