/**
 * The refresh decision (RFC 9700 §4.14) as a table, without a store: every kind, and each
 * boundary at exactly its instant.
 */
import { describe, expect, it } from 'vitest'
import {
  classifyPresentedToken,
  type PresentedTokenKind,
  type SessionForDecision,
} from '../src/refresh-decision.js'
import { DAY, HOUR, SECOND, T0 } from './helpers.js'

const GRACE = 10 * SECOND
/** The session's last rotation. */
const ROTATED = T0 + HOUR
const IDLE_DEADLINE = ROTATED + DAY
const ABSOLUTE_DEADLINE = T0 + 30 * DAY

/** A session rotated once at `ROTATED`: `current` is valid, `previous` was replaced then. */
const session: SessionForDecision = {
  revokedAt: null,
  expiresAt: ABSOLUTE_DEADLINE,
  idleExpiresAt: IDLE_DEADLINE,
  tokenHash: 'current',
  previousTokenHash: 'previous',
  rotatedAt: ROTATED,
  sealedSuccessor: 'sealed',
}

interface Row {
  name: string
  changes?: Partial<SessionForDecision>
  presented: 'current' | 'previous' | 'ancestor'
  now: number
  gracePeriodMs?: number
  kind: PresentedTokenKind
}

const rows: Row[] = [
  // current
  {
    name: 'the current token right after its rotation',
    presented: 'current',
    now: ROTATED,
    kind: 'current',
  },
  {
    name: 'the current token 1 ms before the idle deadline',
    presented: 'current',
    now: IDLE_DEADLINE - 1,
    kind: 'current',
  },
  {
    name: 'the current token of a session never rotated',
    changes: { previousTokenHash: null, rotatedAt: null, sealedSuccessor: null },
    presented: 'current',
    now: T0,
    kind: 'current',
  },
  {
    name: 'the current token with gracePeriod 0',
    presented: 'current',
    now: ROTATED,
    gracePeriodMs: 0,
    kind: 'current',
  },

  // grace duplicate
  {
    name: 'the previous token at the rotation instant',
    presented: 'previous',
    now: ROTATED,
    kind: 'grace_duplicate',
  },
  {
    name: 'the previous token at exactly the end of the grace period',
    presented: 'previous',
    now: ROTATED + GRACE,
    kind: 'grace_duplicate',
  },

  // reuse
  {
    name: 'the previous token 1 ms after the grace period',
    presented: 'previous',
    now: ROTATED + GRACE + 1,
    kind: 'reused',
  },
  {
    name: 'the previous token at the rotation instant with gracePeriod 0',
    presented: 'previous',
    now: ROTATED,
    gracePeriodMs: 0,
    kind: 'reused',
  },
  {
    name: 'the previous token with no sealed successor',
    changes: { sealedSuccessor: null },
    presented: 'previous',
    now: ROTATED,
    kind: 'reused',
  },
  {
    name: 'the previous token with no rotation time',
    changes: { rotatedAt: null },
    presented: 'previous',
    now: ROTATED,
    kind: 'reused',
  },
  {
    name: 'an older ancestor inside the grace period',
    presented: 'ancestor',
    now: ROTATED,
    kind: 'reused',
  },
  {
    name: 'an ancestor of a session never rotated',
    changes: { previousTokenHash: null, rotatedAt: null, sealedSuccessor: null },
    presented: 'ancestor',
    now: T0,
    kind: 'reused',
  },

  // revoked, whatever the token and the time
  {
    name: 'the current token of a revoked session',
    changes: { revokedAt: ROTATED },
    presented: 'current',
    now: ROTATED,
    kind: 'revoked',
  },
  {
    name: 'the previous token of a revoked session inside the grace period',
    changes: { revokedAt: ROTATED },
    presented: 'previous',
    now: ROTATED,
    kind: 'revoked',
  },
  {
    name: 'an ancestor of a revoked session',
    changes: { revokedAt: ROTATED },
    presented: 'ancestor',
    now: ROTATED,
    kind: 'revoked',
  },
  {
    name: 'the current token of a revoked session past both deadlines',
    changes: { revokedAt: ROTATED },
    presented: 'current',
    now: ABSOLUTE_DEADLINE,
    kind: 'revoked',
  },

  // idle timeout
  {
    name: 'the current token at exactly the idle deadline',
    presented: 'current',
    now: IDLE_DEADLINE,
    kind: 'expired_idle',
  },
  {
    name: 'an ancestor at the idle deadline (an ended session reports no reuse)',
    presented: 'ancestor',
    now: IDLE_DEADLINE,
    kind: 'expired_idle',
  },
  {
    name: 'the previous token inside the grace period of an idle-expired session',
    changes: { idleExpiresAt: ROTATED },
    presented: 'previous',
    now: ROTATED,
    kind: 'expired_idle',
  },

  // absolute timeout
  {
    name: 'the current token 1 ms before the absolute deadline',
    changes: { idleExpiresAt: ABSOLUTE_DEADLINE + DAY },
    presented: 'current',
    now: ABSOLUTE_DEADLINE - 1,
    kind: 'current',
  },
  {
    name: 'the current token inside the last second of a deadline that is not on a whole second',
    changes: { expiresAt: ABSOLUTE_DEADLINE + 500, idleExpiresAt: ABSOLUTE_DEADLINE + DAY },
    presented: 'current',
    now: ABSOLUTE_DEADLINE + 1,
    kind: 'expired_absolute',
  },
  {
    name: 'the current token just before the last whole second of such a deadline',
    changes: { expiresAt: ABSOLUTE_DEADLINE + 500, idleExpiresAt: ABSOLUTE_DEADLINE + DAY },
    presented: 'current',
    now: ABSOLUTE_DEADLINE - 1,
    kind: 'current',
  },
  {
    name: 'the current token at exactly the absolute deadline',
    changes: { idleExpiresAt: ABSOLUTE_DEADLINE + DAY },
    presented: 'current',
    now: ABSOLUTE_DEADLINE,
    kind: 'expired_absolute',
  },
  {
    name: 'the current token past both deadlines (absolute wins)',
    presented: 'current',
    now: ABSOLUTE_DEADLINE,
    kind: 'expired_absolute',
  },
  {
    name: 'an ancestor at the absolute deadline',
    presented: 'ancestor',
    now: ABSOLUTE_DEADLINE,
    kind: 'expired_absolute',
  },
]

describe('classifyPresentedToken()', () => {
  it.each(rows.map((row) => [row.name, row.kind, row] as const))(
    'classifies %s as %s',
    (_, kind, row) => {
      const presentedHash = row.presented
      const timing = { gracePeriodMs: row.gracePeriodMs ?? GRACE }

      expect(
        classifyPresentedToken({ ...session, ...row.changes }, presentedHash, row.now, timing),
      ).toBe(kind)
    },
  )

  it('has a row for every kind', () => {
    expect(new Set(rows.map((row) => row.kind))).toStrictEqual(
      new Set<PresentedTokenKind>([
        'revoked',
        'expired_absolute',
        'expired_idle',
        'current',
        'grace_duplicate',
        'reused',
      ]),
    )
  })
})
