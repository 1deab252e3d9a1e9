/**
 * Unit tests of the pure anomaly checks (`src/anomaly/`): user-agent families, networks, the
 * cadence window, the signals of a refresh and of a sign-in, and which action wins.
 */
import { describe, expect, it } from 'vitest'
import { createCadenceTracker } from '../src/anomaly/cadence.js'
import { decide, loginSignals, refreshSignals, type AnomalyRules } from '../src/anomaly/evaluate.js'
import { networkOf } from '../src/anomaly/network.js'
import { userAgentFamily } from '../src/anomaly/user-agent.js'

const CHROME_120_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'
const CHROME_131_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'
const CHROME_120_LINUX =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'
const FIREFOX_121_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0'

const RULES: AnomalyRules = {
  actions: {
    user_agent_changed: 'revoke',
    ip_changed: 'log',
    refresh_too_fast: 'step_up',
    many_sessions: 'log',
    many_ips: 'revoke',
  },
  refreshTooFast: { max: 3, withinMs: 60_000 },
  manySessions: { max: 2, withinMs: 3_600_000 },
  manyIps: { max: 2, withinMs: 3_600_000 },
}

describe('userAgentFamily', () => {
  it.each([
    [CHROME_120_WINDOWS, 'Chrome on Windows'],
    [CHROME_120_LINUX, 'Chrome on Linux'],
    [FIREFOX_121_LINUX, 'Firefox on Linux'],
    ['curl/8.4.0', 'curl'],
    ['Vitest/1.0', 'Vitest'],
    ['', null],
    ['   ', null],
    [null, null],
  ])('%j is %j', (ua, family) => {
    expect(userAgentFamily(ua)).toBe(family)
  })

  it('does not change with the browser version', () => {
    expect(userAgentFamily(CHROME_131_WINDOWS)).toBe(userAgentFamily(CHROME_120_WINDOWS))
  })
})

describe('networkOf', () => {
  it.each([
    ['203.0.113.7', '203.0.113.0/24'],
    ['203.0.113.250', '203.0.113.0/24'],
    ['0.0.0.0', '0.0.0.0/24'],
    ['::ffff:203.0.113.7', '203.0.113.0/24'],
    ['::ffff:cb00:7107', '203.0.113.0/24'],
    ['2001:db8::1', '2001:db8:0::/48'],
    ['2001:DB8:0:ffff::1', '2001:db8:0::/48'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1::/48'],
    ['fe80::1%eth0', 'fe80:0:0::/48'],
    ['::1', '0:0:0::/48'],
    ['203.0.113', '203.0.113'],
    ['256.1.1.1', '256.1.1.1'],
    ['not an ip', 'not an ip'],
    ['2001:db8::g', '2001:db8::g'],
  ])('%s is in %s', (ip, network) => {
    expect(networkOf(ip)).toBe(network)
  })
})

describe('createCadenceTracker', () => {
  /** A rotation the store accepted: what it counted, then recorded. */
  const rotate = (cadence: ReturnType<typeof createCadenceTracker>, id: string, at: number) => {
    const count = cadence.count(id, at)
    cadence.record(id, at)
    return count
  }

  it('counts the rotations within the window, this one included, up to max + 1', () => {
    const cadence = createCadenceTracker({ max: 3, windowMs: 1_000 })
    const at = [0, 100, 200, 300, 400, 1_250, 1_299, 1_300]
    const counts = at.map((t) => rotate(cadence, 's', t))
    // The window ends where it starts: at 1_250 it is (250, 1_250], at 1_300 (300, 1_300].
    expect(counts).toStrictEqual([1, 2, 3, 4, 4, 3, 4, 4])
  })

  it('records nothing by counting: a refused or failed rotation is no step', () => {
    const cadence = createCadenceTracker({ max: 3, windowMs: 1_000 })
    for (const t of [0, 1, 2, 3, 4]) expect(cadence.count('s', t)).toBe(1)
    expect(rotate(cadence, 's', 5)).toBe(1)
    expect(cadence.count('s', 6)).toBe(2)
  })

  it('keeps sessions apart', () => {
    const cadence = createCadenceTracker({ max: 3, windowMs: 1_000 })
    rotate(cadence, 'a', 0)
    rotate(cadence, 'a', 1)
    expect(rotate(cadence, 'b', 2)).toBe(1)
  })

  it('forgets the least recently refreshed session beyond its capacity', () => {
    const cadence = createCadenceTracker({ max: 3, windowMs: 1_000, capacity: 2 })
    rotate(cadence, 'a', 0)
    rotate(cadence, 'b', 1)
    rotate(cadence, 'a', 2)
    rotate(cadence, 'c', 3) // evicts b, the least recently refreshed
    expect([rotate(cadence, 'a', 4), rotate(cadence, 'b', 5)]).toStrictEqual([3, 1])
  })
})

describe('refreshSignals', () => {
  const session = { userAgent: CHROME_120_WINDOWS, ip: '203.0.113.7' }

  it('finds nothing for the same browser (another version) on the same network', () => {
    const request = { userAgent: CHROME_131_WINDOWS, ip: '203.0.113.99' }
    expect(refreshSignals(RULES, session, request, 1)).toStrictEqual([])
  })

  it('reports a browser family change, an OS change and a missing User-Agent', () => {
    const signal = (to: string | null) =>
      refreshSignals(RULES, session, { userAgent: to, ip: session.ip }, 1)
    expect([signal(FIREFOX_121_LINUX), signal(CHROME_120_LINUX), signal(null)]).toStrictEqual([
      [
        {
          type: 'user_agent_changed',
          from: 'Chrome on Windows',
          to: 'Firefox on Linux',
          action: 'revoke',
        },
      ],
      [
        {
          type: 'user_agent_changed',
          from: 'Chrome on Windows',
          to: 'Chrome on Linux',
          action: 'revoke',
        },
      ],
      [{ type: 'user_agent_changed', from: 'Chrome on Windows', to: null, action: 'revoke' }],
    ])
  })

  it('reports a network change, but not an unknown address on either side', () => {
    const request = (ip: string | null) => ({ userAgent: CHROME_120_WINDOWS, ip })
    expect(refreshSignals(RULES, session, request('198.51.100.7'), 1)).toStrictEqual([
      { type: 'ip_changed', from: '203.0.113.0/24', to: '198.51.100.0/24', action: 'log' },
    ])
    expect(refreshSignals(RULES, session, request(null), 1)).toStrictEqual([])
    expect(refreshSignals(RULES, { ...session, ip: null }, request('1.2.3.4'), 1)).toStrictEqual([])
  })

  it('reports more rotations than max within the window', () => {
    const request = { userAgent: CHROME_120_WINDOWS, ip: '203.0.113.7' }
    expect(refreshSignals(RULES, session, request, 3)).toStrictEqual([])
    expect(refreshSignals(RULES, session, request, 4)).toStrictEqual([
      { type: 'refresh_too_fast', count: 4, withinMs: 60_000, action: 'step_up' },
    ])
  })

  it('leaves out signals whose action is ignore', () => {
    const rules = { ...RULES, actions: { ...RULES.actions, user_agent_changed: 'ignore' as const } }
    const request = { userAgent: FIREFOX_121_LINUX, ip: '203.0.113.7' }
    expect(refreshSignals(rules, session, request, 1)).toStrictEqual([])
  })
})

describe('loginSignals', () => {
  const NOW = 10 * 3_600_000
  const at = (minutesAgo: number, ip: string | null) => ({
    createdAt: NOW - minutesAgo * 60_000,
    lastUsedAt: NOW - minutesAgo * 60_000,
    ip,
  })

  it('counts the new session with the live ones created within the window', () => {
    const others = [at(30, '203.0.113.1'), at(59, '203.0.113.2'), at(60, '203.0.113.3')]
    expect(loginSignals(RULES, others, { ip: '203.0.113.4', userAgent: null }, NOW)).toStrictEqual([
      { type: 'many_sessions', count: 3, withinMs: 3_600_000, action: 'log' },
    ])
    expect(
      loginSignals(RULES, others.slice(1), { ip: '203.0.113.4', userAgent: null }, NOW),
    ).toStrictEqual([])
  })

  it('counts distinct networks, not addresses, among sessions used within the window', () => {
    const others = [
      at(90, '192.0.2.1'),
      at(10, '198.51.100.1'),
      at(20, '198.51.100.2'),
      at(5, null),
    ]
    const request = (ip: string | null) => ({ ip, userAgent: null })
    const rules = { ...RULES, manySessions: { max: 99, withinMs: 3_600_000 } }
    expect(loginSignals(rules, others, request('203.0.113.9'), NOW)).toStrictEqual([])
    const third = [...others, at(1, '2001:db8::1')]
    expect(loginSignals(rules, third, request('203.0.113.9'), NOW)).toStrictEqual([
      { type: 'many_ips', count: 3, withinMs: 3_600_000, action: 'revoke' },
    ])
  })
})

describe('decide', () => {
  it('takes the most severe action, ignore when there is none', () => {
    expect(decide([])).toBe('ignore')
    expect(decide([{ action: 'log' }, { action: 'revoke' }, { action: 'step_up' }])).toBe('revoke')
    expect(decide([{ action: 'log' }, { action: 'step_up' }, { action: 'ignore' }])).toBe('step_up')
  })
})
