/**
 * @module
 * What each part of the second-factor service (`factors.ts`, `proofs.ts`, `tickets.ts`) is built
 * from, made once by `createMfa()` (`service.ts`).
 * @internal
 */
import type { Context } from 'hono'
import type { BffConfig } from '../options.js'
import { requestMeta } from '../request-meta.js'
import type { MfaEvent } from './events.js'
import type { MfaConfig } from './options.js'
import { secretSealer, type SecretSealer } from './secrets.js'
import type { StoredFactor } from './types.js'

/** An event as the service gives it; `emit` adds who, when and from where. */
export type EventInput<E extends MfaEvent = MfaEvent> = E extends unknown
  ? Omit<E, 'at' | 'ip' | 'userAgent' | 'userId'>
  : never

/** @internal Everything the parts of the service share. */
export interface MfaDeps {
  config: BffConfig
  mfa: MfaConfig
  sealer: SecretSealer
  /** The context a TOTP secret is sealed under: the user and factor it belongs to. */
  secretContext: (factor: Pick<StoredFactor, 'userId' | 'id'>) => string
  emit: (c: Context, userId: string, event: EventInput) => void
  /** The factors whose enrolment was confirmed: the only ones that count. */
  confirmed: (list: StoredFactor[]) => StoredFactor[]
}

/** @internal */
export function mfaDeps(config: BffConfig, mfa: MfaConfig): MfaDeps {
  return {
    config,
    mfa,
    sealer: secretSealer(mfa.keys),
    secretContext: (factor) => `${factor.userId}:${factor.id}`,
    emit: (c, userId, event) =>
      config.emit({ ...event, userId, at: config.now(), ...requestMeta(config, c) }),
    confirmed: (list) => list.filter((f) => f.confirmedAt !== null),
  }
}
