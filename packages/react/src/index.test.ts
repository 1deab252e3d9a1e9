import { describe, expect, it } from 'vitest'
import * as client from '@baton/client'
import * as react from './index'

describe('@baton/react', () => {
  it('Should re-export every value of @baton/client, the very same, so an app installs one package', () => {
    for (const [name, value] of Object.entries(client)) {
      expect(react[name as keyof typeof react], name).toBe(value)
    }
  })

  it('Should export exactly the provider, the hooks and the client values: no internals, no ky', () => {
    expect(Object.keys(react).sort()).toEqual([
      'BatonError',
      'MfaRequiredError',
      'RateLimitedError',
      'RefreshNetworkError',
      'SessionExpiredError',
      'SessionProvider',
      'StepUpRequiredError',
      'createSessionClient',
      'isBatonError',
      'useBatonClient',
      'useMfa',
      'useSession',
      'useSessionState',
    ])
  })
})
