/**
 * @module
 * The built-in anomaly checks as pure functions: a request compared with the session it uses (on
 * refresh) or with the user's other sessions (at sign-in). No store, no clock, no framework: the
 * caller reads what they need and acts on the answer.
 * @internal
 */
import type { StoredSession } from '../stores/types.js'
import { networkOf } from './network.js'
import {
  ANOMALY_ACTIONS,
  type AnomalyAction,
  type AnomalySignal,
  type BuiltInSignalType,
} from './types.js'
import { userAgentFamily } from './user-agent.js'

/** @internal A normalised "more than `max` within `withinMs`". */
export interface Limit {
  max: number
  withinMs: number
}

/** @internal What the checks need to know, after defaults. */
export interface AnomalyRules {
  actions: Record<BuiltInSignalType, AnomalyAction>
  refreshTooFast: Limit
  manySessions: Limit
  manyIps: Limit
}

/** @internal Where a request comes from. */
export interface RequestOrigin {
  ip: string | null
  userAgent: string | null
}

/** @internal Keeps the signals whose action is not `ignore`. */
const acted = (signals: AnomalySignal[]) => signals.filter((s) => s.action !== 'ignore')

/**
 * @internal The signals of a rotation: `session` as stored (its last request), `request` this one,
 * `rotations` how many rotations of the session fell within `refreshTooFast.withinMs`, this one
 * included. Signals whose action is `ignore` are left out.
 */
export function refreshSignals(
  rules: AnomalyRules,
  session: Pick<StoredSession, 'userAgent' | 'ip'>,
  request: RequestOrigin,
  rotations: number,
): AnomalySignal[] {
  const { actions, refreshTooFast } = rules
  const signals: AnomalySignal[] = []
  // A missing User-Agent counts as a family of its own: else a thief would only have to omit it.
  const from = userAgentFamily(session.userAgent)
  const to = userAgentFamily(request.userAgent)
  if (from !== to) {
    signals.push({ type: 'user_agent_changed', from, to, action: actions.user_agent_changed })
  }
  // An unknown address on either side is the deployment's blind spot, not the requester's doing.
  if (session.ip !== null && request.ip !== null) {
    const before = networkOf(session.ip)
    const now = networkOf(request.ip)
    if (before !== now) {
      signals.push({ type: 'ip_changed', from: before, to: now, action: actions.ip_changed })
    }
  }
  if (rotations > refreshTooFast.max) {
    signals.push({
      type: 'refresh_too_fast',
      count: rotations,
      withinMs: refreshTooFast.withinMs,
      action: actions.refresh_too_fast,
    })
  }
  return acted(signals)
}

/**
 * @internal The signals of a sign-in at `now` from `request`, given the user's live sessions
 * before it (`others`). Signals whose action is `ignore` are left out.
 */
export function loginSignals(
  rules: AnomalyRules,
  others: readonly Pick<StoredSession, 'createdAt' | 'lastUsedAt' | 'ip'>[],
  request: RequestOrigin,
  now: number,
): AnomalySignal[] {
  const { actions, manySessions, manyIps } = rules
  const signals: AnomalySignal[] = []
  const created = others.filter((s) => now - s.createdAt < manySessions.withinMs).length + 1
  if (created > manySessions.max) {
    signals.push({
      type: 'many_sessions',
      count: created,
      withinMs: manySessions.withinMs,
      action: actions.many_sessions,
    })
  }
  const networks = new Set<string>()
  for (const s of others) {
    if (s.ip !== null && now - s.lastUsedAt < manyIps.withinMs) networks.add(networkOf(s.ip))
  }
  if (request.ip !== null) networks.add(networkOf(request.ip))
  if (networks.size > manyIps.max) {
    signals.push({
      type: 'many_ips',
      count: networks.size,
      withinMs: manyIps.withinMs,
      action: actions.many_ips,
    })
  }
  return acted(signals)
}

/** @internal The most severe action among `signals`; `ignore` when there are none. */
export function decide(signals: readonly Pick<AnomalySignal, 'action'>[]): AnomalyAction {
  let worst = 0
  for (const { action } of signals) worst = Math.max(worst, ANOMALY_ACTIONS.indexOf(action))
  return ANOMALY_ACTIONS[worst]!
}
