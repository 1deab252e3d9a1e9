import { describe, expect, it } from 'vitest'
import { banner } from './banner'
import { loadConfig } from './config'

describe('banner', () => {
  it('Should show the Redis store without its password', () => {
    const config = loadConfig(
      {
        BATON_STORE: 'redis',
        REDIS_URL: 'redis://default:s3cret@cache.example:6379/0',
        // A lasting store needs the key sealing TOTP secrets (32 bytes, base64url).
        BATON_MFA_KEY: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8',
      },
      'production',
    )
    const text = banner(config, [['App', 'http://127.0.0.1:3000']])
    expect(text).toContain('  Session store: redis (redis://default:***@cache.example:6379/0)\n')
    expect(text).not.toContain('s3cret')
  })

  it('Should show the URLs, the session settings and the demo accounts', () => {
    const text = banner(loadConfig({}, 'production'), [
      ['App', 'http://127.0.0.1:3000'],
      ['BFF', 'http://127.0.0.1:3001'],
    ])
    expect(text.split('\n')).toEqual([
      '',
      '  Baton demo',
      '',
      '  App  http://127.0.0.1:3000',
      '  BFF  http://127.0.0.1:3001',
      '',
      '  Access token 5m, refreshed 30s before expiry; idle timeout 1d, absolute 30d.',
      '  Session store: memory (sessions are lost on restart)',
      '',
      '  Demo accounts:',
      '    alice    password: wonderland',
      '    bob      password: builder',
      '',
    ])
  })
})
