/**
 * @module
 * Anomaly detection wired to the session protocol: the session service calls `atRefresh` before a
 * rotation and `atLogin` before a new session is stored; this module runs the checks and the
 * application's `detect` hook, emits `anomaly_detected`, and takes the action (a revocation goes
 * through the revoker like any other, reason `anomaly`).
 * @internal
 */
import type { Context } from 'hono'
import { sessionEvent } from '../events.js'
import type { BffConfig } from '../options.js'
import { sessionInfo } from '../session-info.js'
import type { RequestMeta } from '../request-meta.js'
import { sessionCheckFailed, unauthorized } from '../session-errors.js'
import type { Revoker } from '../session-revocation.js'
import type { StoredSession } from '../stores/types.js'
import { createCadenceTracker } from './cadence.js'
import { decide, loginSignals, refreshSignals } from './evaluate.js'
import { ANOMALY_ACTIONS, type AnomalyAction, type AnomalySignal } from './types.js'

/** @internal The answer to a request whose anomaly ended the session (or, at sign-in, the user's sessions). */
export const anomalyRevoked = () =>
  unauthorized('session_revoked', 'The session was ended after unusual activity; sign in again.')

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** The hook's answer as signals, or a `TypeError` saying what is wrong with it. */
function appSignals(answer: unknown): AnomalySignal[] {
  if (!Array.isArray(answer)) {
    throw new TypeError(`anomalies.detect must resolve to an array, got ${String(answer)}`)
  }
  return answer.map((entry: unknown) => {
    if (
      !isRecord(entry) ||
      typeof entry.name !== 'string' ||
      entry.name === '' ||
      !(ANOMALY_ACTIONS as readonly unknown[]).includes(entry.action) ||
      (entry.detail !== undefined && typeof entry.detail !== 'string')
    ) {
      throw new TypeError(
        'anomalies.detect must resolve to entries { name: string, action, detail?: string }',
      )
    }
    const signal: AnomalySignal = {
      type: 'custom',
      name: entry.name,
      action: entry.action as AnomalyAction,
    }
    if (typeof entry.detail === 'string') signal.detail = entry.detail
    return signal
  })
}

/** @internal */
export function createAnomalyResponder(
  config: Pick<BffConfig, 'anomalies' | 'emit'>,
  revoker: Revoker,
) {
  const { anomalies: rules, emit } = config
  const cadence =
    rules &&
    createCadenceTracker({
      max: rules.refreshTooFast.max,
      windowMs: rules.refreshTooFast.withinMs,
    })

  /** Adds the application's signals; its failure is a 503 that ends nothing. */
  const withApp = async (
    phase: 'login' | 'refresh',
    session: StoredSession,
    meta: RequestMeta,
    c: Context,
    found: AnomalySignal[],
  ): Promise<AnomalySignal[]> => {
    const detect = rules?.detect
    if (!detect) return found
    let added: AnomalySignal[]
    try {
      const request = { ip: meta.ip, userAgent: meta.userAgent }
      added = appSignals(
        await detect({ phase, session: sessionInfo(session), request, signals: found, c }),
      )
    } catch (cause) {
      throw sessionCheckFailed(cause)
    }
    return [...found, ...added.filter((s) => s.action !== 'ignore')]
  }

  const report = (
    phase: 'login' | 'refresh',
    session: StoredSession,
    meta: RequestMeta,
    signals: AnomalySignal[],
    action: Exclude<AnomalyAction, 'ignore'>,
    now: number,
  ) =>
    emit({ type: 'anomaly_detected', phase, signals, action, ...sessionEvent(session, now, meta) })

  return {
    /** A rotation of `sessionId` the store accepted: a step of its cadence (`refresh_too_fast`). */
    rotated(sessionId: string, now: number) {
      cadence?.record(sessionId, now)
    },

    /**
     * Checks a rotation of `session` (as stored) by the request `meta`, before it is written, or
     * with `duplicate` a grace-window duplicate of the rotation `session` last recorded.
     * Resolves `true` when the rotation must carry `step_up`; throws `401 session_revoked` after
     * revoking the session when the action is `revoke`.
     */
    async atRefresh(
      session: StoredSession,
      meta: RequestMeta,
      c: Context,
      now: number,
      { duplicate = false }: { duplicate?: boolean } = {},
    ): Promise<boolean> {
      if (!rules || !cadence) return false
      // A duplicate rotates nothing, so it is no step of the cadence (two tabs racing). Counted,
      // not recorded: only a rotation the store accepts is one (`rotated`), not a refresh this
      // check or the store then fails.
      const rotations = duplicate ? 0 : cadence.count(session.id, now)
      const found = refreshSignals(rules, session, meta, rotations)
      const signals = await withApp('refresh', session, meta, c, found)
      const action = decide(signals)
      if (action === 'ignore') return false
      report('refresh', session, meta, signals, action, now)
      if (action === 'revoke') {
        await revoker.revoke(session.id, 'anomaly', meta, now)
        throw anomalyRevoked()
      }
      return action === 'step_up'
    },

    /**
     * Checks a sign-in about to store `session`. Throws `401 session_revoked` after revoking
     * every live session of the user when the action is `revoke` (the new one is never stored).
     */
    async atLogin(
      session: StoredSession,
      meta: RequestMeta,
      c: Context,
      now: number,
      /** The user's sessions as the devices list shows them (`revokeAll()` ended some). */
      existing: () => Promise<StoredSession[]>,
    ) {
      if (!rules) return
      const counting =
        rules.actions.many_sessions !== 'ignore' || rules.actions.many_ips !== 'ignore'
      const others = counting ? await existing() : []
      const found = loginSignals(rules, others, meta, now)
      const signals = await withApp('login', session, meta, c, found)
      // The user has just proved who they are: asking again at once would prove nothing more.
      const decided = decide(signals)
      const action = decided === 'step_up' ? 'log' : decided
      if (action === 'ignore') return
      report('login', session, meta, signals, action, now)
      if (action === 'revoke') {
        await revoker.revokeUser(session.userId, 'anomaly', meta, now)
        throw anomalyRevoked()
      }
    },
  }
}

/** @internal */
export type AnomalyResponder = ReturnType<typeof createAnomalyResponder>
