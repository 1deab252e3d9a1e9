/**
 * @module
 * The progressive delay per username and network: the attempts counted under the folded name
 * (so variants of one account share a budget), the failures under the exact name typed (what a
 * success may forgive), and the gate that spaces attempts once the budget is spent.
 * @internal
 */
import { primitives } from '#crypto'
import type { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible'
import * as base64url from '../tokens/base64url.js'
import type { RateLimiterBackend } from './backend.js'
import { fold } from './fold.js'
import { networkKey } from './ip.js'
import type { RateLimitConfig } from './options.js'

// Usernames go into the counter store hashed: the store holds no list of who was attacked, and
// every key has the same short length whatever was typed. Folded (`fold`) as loosely as an
// `authenticate` may compare them, so that `Alice`, ` alice `, `al\u00ADice` (a soft hyphen),
// `alicé` and `ałice` share one budget: each difference kept would be a fresh budget per variant
// on the same account; one folded too far only shares a budget between two names.

function counterKey(name: string, ip: string | null): string {
  // `#crypto`, not WebCrypto: under Node, WebCrypto's digest queues on libuv's thread pool behind
  // the very password hashes of a flood, and the real user's sign-in would wait for all of them.
  const digest = primitives.sha256(new TextEncoder().encode(name))
  return `${base64url.encode(digest)}@${ip === null ? 'unknown' : networkKey(ip)}`
}

/** @internal The counter keys of one attempt. */
export interface UsernameKeys {
  /** The folded name and network: the budget and the gate. */
  folded: string
  /** The name exactly as typed, and network: what a success forgives. */
  exact: string
}

/** @internal An attempt counted against the folded name. */
export interface CountedAttempt {
  /** The folded count, this attempt included. */
  count: number
  /** When the folded window it was counted in ends (ms since the epoch). */
  windowEndsAt: number
}

/**
 * Whole seconds left of the folded window `attempt` was counted in, rounded down: the stores'
 * expiry is in seconds, and what settles in a window's last second is left alone, the safe side.
 */
const secondsLeft = (attempt: CountedAttempt) =>
  Math.floor((attempt.windowEndsAt - Date.now()) / 1_000)

/**
 * Adds back what `left` (a limiter's answer) holds below zero, within the window it is in: an
 * increment, which no concurrent count can be lost to, where a delete could drop one.
 */
async function backToZero(limiter: RateLimiterAbstract, key: string, left: RateLimiterRes) {
  const seconds = Math.floor(left.msBeforeNext / 1_000)
  if (left.consumedPoints < 0 && seconds >= 1) {
    await limiter.penalty(key, -left.consumedPoints, { customDuration: seconds })
  }
}

/** @internal */
export function usernameDelay(
  backend: RateLimiterBackend,
  rule: NonNullable<RateLimitConfig['username']>,
) {
  const limiter = (keyPrefix: string, points: number, duration: number): RateLimiterAbstract =>
    backend.limiter({ keyPrefix, points, duration })
  const attempts = limiter('user:n', rule.points, rule.durationSec)
  // The folded count is shared by names an application may hold as distinct accounts (`Alice`,
  // `alice`): a sign-in to one must not wipe the failures guessed against the other. So the
  // failures are counted under the exact name too, and a success forgives only those.
  const exactAttempts = limiter('user:x', rule.points, rule.durationSec)
  // One point per window, the window as long as the current delay: the first attempt after a
  // wait opens the next window, and every other attempt inside it is refused. The increment is
  // atomic in every backend, so parallel attempts cannot all slip through the same gap.
  const gate = limiter('user:wait', 1, rule.delaySec)

  /**
   * After a success: takes the exact username's settled failures, and the success's own attempt,
   * away from the folded count. Once the folded count is spent (all its failures were made under
   * this name and none is in flight), the wait goes with it; any left belong to another spelling,
   * and so does the window they keep open.
   */
  async function forgive({ folded, exact }: UsernameKeys, own: CountedAttempt): Promise<void> {
    const record = await exactAttempts.get(exact)
    // The memory limiter answers an expired record until its timer drops it (`msBeforeNext`
    // below zero): failures of a window that is over are not this success's to forgive.
    const seen = record && record.msBeforeNext > 0 ? record.consumedPoints : 0
    // `reward` is atomic where `get` then `delete` is not: of two successes that read the same
    // count at once, only the points still there before this decrement are this one's to forgive,
    // so a burst of sign-ins to one's own account forgives its own failures once, not per sign-in.
    const exactLeft = seen > 0 ? await exactAttempts.reward(exact, seen) : null
    const after = exactLeft?.consumedPoints ?? 0
    const claimed = Math.max(0, Math.min(seen, after + seen))
    // The sign-in's own attempt comes off the window it was counted in, not off the next one,
    // which holds none of it.
    const ownStillCounted = secondsLeft(own) >= 1 ? 1 : 0
    // Below zero, the exact count is a debt that would hold back the next success's forgiveness:
    // it is brought back to zero, never deleted (a failure another instance records meanwhile
    // would go with it).
    const [, reduced] = await Promise.all([
      exactLeft ? backToZero(exactAttempts, exact, exactLeft) : undefined,
      claimed + ownStillCounted > 0 ? attempts.reward(folded, claimed + ownStillCounted) : null,
    ])
    if (reduced && reduced.consumedPoints <= 0) {
      // Spent: the wait goes with it. The count is kept at zero, not deleted: a guess another
      // instance counts between this decrement and a delete would be deleted with it.
      await Promise.all([backToZero(attempts, folded, reduced), gate.delete(folded)])
    }
  }

  // Successes of one name and network settle one after another, in the order their passwords
  // checked out: a `forgive` that finds nothing left is shorter than one that forgives, and must
  // not let a later sign-in overtake an earlier one (`maxSessionsPerUser` with `'refuse'` keeps
  // the oldest sessions). In one process it also spares concurrent claims a read of the same count.
  const forgiving = new Map<string, Promise<void>>()

  return {
    keys: (username: string, ip: string | null): UsernameKeys => ({
      folded: counterKey(fold(username), ip),
      exact: counterKey(username, ip),
    }),

    /**
     * Counts an attempt against the folded name, before its password is checked (so attempts in
     * flight count too); resolves with the folded count, this one included, and the attempt.
     */
    async count(keys: UsernameKeys): Promise<CountedAttempt> {
      const folded = await attempts.penalty(keys.folded)
      return { count: folded.consumedPoints, windowEndsAt: Date.now() + folded.msBeforeNext }
    },

    /**
     * Takes back an attempt that checked no password (refused, or `authenticate` threw), from the
     * folded window it was counted in: once that window is over, the next one holds none of it.
     */
    async uncount(keys: UsernameKeys, attempt: CountedAttempt): Promise<void> {
      if (secondsLeft(attempt) >= 1) await attempts.reward(keys.folded)
    },

    /**
     * Records a wrong password under the exact name, for a later success of that name to forgive.
     * Only settled failures: an attempt still in flight may yet be refused and taken back, and
     * one forgiven before that would be taken back twice. The record ends with the folded window
     * the attempt was counted in, so a success in a later window cannot forgive it: that window's
     * count holds none of it.
     */
    async failed(keys: UsernameKeys, attempt: CountedAttempt): Promise<void> {
      // `0` would mean a record that never expires: one settling in the last second stays unforgiven.
      const seconds = secondsLeft(attempt)
      if (seconds < 1) return
      await exactAttempts.penalty(keys.exact, 1, { customDuration: seconds })
    },

    /**
     * Opens the window of the `attempt`-th attempt past the budget; rejects with the limiter's
     * answer (`msBeforeNext`) while the current window is open.
     */
    wait(keys: UsernameKeys, attempt: number) {
      const exponent = Math.min(attempt - rule.points, 30)
      const seconds = Math.min(rule.delaySec * 2 ** exponent, rule.maxDelaySec)
      return gate.consume(keys.folded, 1, { customDuration: seconds })
    },

    /**
     * Forgives a success's own failures and its own `attempt`, after the successes of the same
     * name before it.
     */
    forgive(keys: UsernameKeys, attempt: CountedAttempt): Promise<void> {
      const turn = (forgiving.get(keys.folded) ?? Promise.resolve()).then(() =>
        forgive(keys, attempt),
      )
      const tail = turn.then(
        () => {},
        () => {},
      )
      forgiving.set(keys.folded, tail)
      void tail.then(() => {
        if (forgiving.get(keys.folded) === tail) forgiving.delete(keys.folded)
      })
      return turn
    },
  }
}
