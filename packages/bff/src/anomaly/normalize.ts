/**
 * @module
 * The `anomalies` option checked and given its defaults, once, when `createBff` runs: every
 * mistake is a `TypeError` naming the option.
 * @internal
 */
import { parseDuration } from '@baton/protocol'
import type { AnomalyRules, Limit } from './evaluate.js'
import {
  ANOMALY_ACTIONS,
  type AnomalyAction,
  type AnomalyLimit,
  type AnomalyOptions,
  type BuiltInSignalType,
} from './types.js'

const SECOND = 1_000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE

/**
 * The defaults, and why:
 * - a browser family or OS change mid-session means the refresh cookie left the browser it was
 *   set in, which cookies do not do by themselves: revoke;
 * - a network change is everyday life on mobile (Wi-Fi to cellular, a VPN, dual-stack IPv4 and
 *   IPv6): log;
 * - a fast cadence does not say who is refreshing (a reload-happy user, a buggy client loop), and
 *   a thief racing the owner is caught by reuse detection anyway: log;
 * - many sessions or networks at sign-in come after a correct password, and families, shared
 *   offices and travel produce them too; rate limiting deters stuffing: log, for alerting.
 */
const DEFAULT_ACTIONS: Record<BuiltInSignalType, AnomalyAction> = {
  user_agent_changed: 'revoke',
  ip_changed: 'log',
  refresh_too_fast: 'log',
  many_sessions: 'log',
  many_ips: 'log',
}

const LOGIN_SIGNALS: readonly BuiltInSignalType[] = ['many_sessions', 'many_ips']

/** @internal Options after defaults: the rules, and the application's hook. */
export interface AnomalyConfig extends AnomalyRules {
  detect: AnomalyOptions['detect'] | null
}

const invalid = (message: string) => new TypeError(`createBff: anomalies${message}`)

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

function limit(option: AnomalyLimit | undefined, fallback: Limit, name: string): Limit {
  if (option === undefined) return fallback
  if (typeof option !== 'object' || option === null || Array.isArray(option)) {
    throw invalid(`.${name} must be an object { max?, within? }`)
  }
  const max = option.max ?? fallback.max
  if (!Number.isInteger(max) || max < 1) {
    throw invalid(`.${name}.max must be a positive integer, got ${String(option.max)}`)
  }
  const withinMs =
    option.within === undefined
      ? fallback.withinMs
      : parseDuration(option.within, `createBff: anomalies.${name}.within`)
  if (withinMs <= 0) throw invalid(`.${name}.within must be positive`)
  return { max, withinMs }
}

/**
 * @internal `null` when detection is off (`false`); else the rules with defaults. The default
 * `refreshTooFast` window is one access-token lifetime, at most a minute: a client refreshes once
 * per lifetime, plus once per page load, and 30 page loads in a minute is no human pace.
 */
export function normalizeAnomalies(
  options: AnomalyOptions | false | undefined,
  accessTokenTtlMs: number,
): AnomalyConfig | null {
  if (options === false) return null
  const given: unknown = options ?? {}
  if (!isRecord(given)) throw invalid(' must be an object or false')
  const opts = given as AnomalyOptions

  const actions = { ...DEFAULT_ACTIONS }
  if (opts.actions !== undefined) {
    if (!isRecord(opts.actions)) throw invalid('.actions must be an object')
    for (const [signal, action] of Object.entries(opts.actions)) {
      if (!(signal in DEFAULT_ACTIONS)) {
        throw invalid(
          `.actions: unknown signal "${signal}" (known: ${Object.keys(DEFAULT_ACTIONS).join(', ')})`,
        )
      }
      if (action === undefined) continue
      if (!(ANOMALY_ACTIONS as readonly unknown[]).includes(action)) {
        throw invalid(
          `.actions.${signal} must be one of ${ANOMALY_ACTIONS.join(', ')}, got ${String(action)}`,
        )
      }
      const type = signal as BuiltInSignalType
      if (action === 'step_up' && LOGIN_SIGNALS.includes(type)) {
        throw invalid(`.actions.${signal} cannot be step_up: the user has just signed in`)
      }
      actions[type] = action
    }
  }

  const refreshTooFast = limit(
    opts.refreshTooFast,
    { max: 30, withinMs: Math.min(accessTokenTtlMs, MINUTE) },
    'refreshTooFast',
  )
  // A client that only refreshes when its token runs out must never trip the limit.
  const proactive = Math.floor(refreshTooFast.withinMs / accessTokenTtlMs) + 1
  if (proactive > refreshTooFast.max) {
    throw invalid(
      `.refreshTooFast.max must be at least ${proactive}: a client refreshing once per accessTokenTtl makes that many within ${refreshTooFast.withinMs} ms`,
    )
  }
  const manySessions = limit(opts.manySessions, { max: 10, withinMs: HOUR }, 'manySessions')
  const manyIps = limit(opts.manyIps, { max: 5, withinMs: HOUR }, 'manyIps')

  const detect = opts.detect ?? null
  if (detect !== null && typeof detect !== 'function') throw invalid('.detect must be a function')
  return { actions, refreshTooFast, manySessions, manyIps, detect }
}
