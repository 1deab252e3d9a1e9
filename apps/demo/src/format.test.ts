import { describe, expect, it } from 'vitest'
import { clockTime, countdown, dateTime, describeDevice, timeAgo } from './format'

describe('format', () => {
  it('Should show a countdown as mm:ss, rounding up and never negative', () => {
    expect(countdown(300_000)).toBe('05:00')
    expect(countdown(4_001)).toBe('00:05')
    expect(countdown(0)).toBe('00:00')
    expect(countdown(-2_000)).toBe('00:00')
  })

  it('Should write times of day on the 24-hour clock, in local time', () => {
    expect(clockTime(new Date(2026, 10, 22, 9, 3, 4).getTime())).toBe('09:03:04')
    expect(clockTime(new Date(2026, 10, 22, 23, 59, 0).getTime())).toBe('23:59:00')
    expect(dateTime(new Date(2026, 10, 2, 14, 5, 59).getTime())).toBe('Nov 2, 14:05')
    expect(dateTime(new Date(2026, 0, 31, 0, 0).getTime())).toBe('Jan 31, 00:00')
  })

  it('Should name devices from their User-Agent', () => {
    expect(
      describeDevice(
        'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36',
      ),
    ).toEqual({ name: 'Chrome on Linux', mobile: false })
    expect(
      describeDevice(
        'Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.6 Mobile/15E148 Safari/604.1',
      ),
    ).toEqual({ name: 'Safari on iPhone', mobile: true })
    expect(
      describeDevice(
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:144.0) Gecko/20100101 Firefox/144.0',
      ).name,
    ).toBe('Firefox on Windows')
    expect(describeDevice(null).name).toBe('Unknown device')
    expect(describeDevice('curl/8.5.0').name).toBe('Script')
  })

  it.each([
    {
      userAgent:
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36 Edg/141.0.0.0',
      name: 'Edge on Windows',
      mobile: false,
    },
    {
      userAgent:
        'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/141.0.0.0 Safari/537.36',
      name: 'Headless Chrome on Linux',
      mobile: false,
    },
    {
      userAgent:
        'Mozilla/5.0 (iPad; CPU OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/141.0 Mobile/15E148 Safari/604.1',
      name: 'Chrome on iPad',
      mobile: true,
    },
    {
      userAgent:
        'Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Mobile Safari/537.36',
      name: 'Chrome on Android',
      mobile: true,
    },
    {
      userAgent:
        'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.6 Safari/605.1.15',
      name: 'Safari on macOS',
      mobile: false,
    },
    { userAgent: 'node', name: 'Script', mobile: false },
    { userAgent: 'Mozilla/5.0 (compatible; SomeBot/1.0)', name: 'Browser', mobile: false },
  ])(
    'Should name $name from the first matching row of each table',
    ({ userAgent, name, mobile }) => {
      expect(describeDevice(userAgent)).toEqual({ name, mobile })
    },
  )

  it('Should say how long ago in words', () => {
    const now = Date.UTC(2026, 0, 1)
    expect(timeAgo(now - 10_000, now)).toBe('just now')
    expect(timeAgo(now - 3 * 60_000, now)).toBe('3 minutes ago')
    expect(timeAgo(now - 2 * 86_400_000, now)).toBe('2 days ago')
  })
})
