/**
 * @module
 * The public vocabulary of anomaly detection: the signals the BFF looks for, the actions it can
 * take, and the `anomalies` option of `createBff` with the hook for the application's own rules.
 */
import type { Duration } from '@baton/protocol'
import type { Context } from 'hono'
import type { SessionInfo } from '../options.js'

/**
 * What the BFF does about an anomaly, from mildest to most severe. When several signals fire, the
 * most severe action wins.
 * - `ignore`: nothing, not even an event.
 * - `log`: an `anomaly_detected` event; the request goes on.
 * - `step_up`: the event, and the session goes on with `auth_time` 0, so the next request to a
 *   route guarded by `requireAuth({ maxAge })` answers `401 step_up_required` until the user
 *   re-authenticates. At sign-in the user has just proved who they are, so there it counts as
 *   `log`.
 * - `revoke`: the event, and the session ends (reason `anomaly`): the refresh answers
 *   `401 session_revoked`. At sign-in, every live session of the user ends and the sign-in is
 *   refused with `401 session_revoked`.
 */
export type AnomalyAction = 'ignore' | 'log' | 'step_up' | 'revoke'

/** Every {@link AnomalyAction}, mildest first. */
export const ANOMALY_ACTIONS = [
  'ignore',
  'log',
  'step_up',
  'revoke',
] as const satisfies readonly AnomalyAction[]

/**
 * A refresh came from another browser family or operating system than the session's last request
 * (a version bump is not a change). `from` and `to` are `"<browser> on <os>"`, the product token
 * of a client bowser does not know (`curl`), or `null` for a request without `User-Agent`.
 */
export interface UserAgentChangedSignal {
  type: 'user_agent_changed'
  from: string | null
  to: string | null
}

/**
 * A refresh came from another network than the session's last request: another IPv4 `/24` or
 * IPv6 `/48` (an IPv4-mapped IPv6 address counts as IPv4). `from` and `to` are the networks in CIDR
 * notation (`203.0.113.0/24`, `2001:db8:0::/48`), or the address as given when it is not one.
 */
export interface IpChangedSignal {
  type: 'ip_changed'
  from: string
  to: string
}

/**
 * More than `max` rotations of one session within `withinMs` (this one included): faster than the
 * access-token lifetime explains. `count` is how many were seen, at most `max + 1`.
 */
export interface RefreshTooFastSignal {
  type: 'refresh_too_fast'
  count: number
  withinMs: number
}

/** At sign-in: more than `max` live sessions of the user created within `withinMs`, the new one included. */
export interface ManySessionsSignal {
  type: 'many_sessions'
  count: number
  withinMs: number
}

/**
 * At sign-in: the user's live sessions used within `withinMs`, and the sign-in itself, come from
 * more than `max` distinct networks (`/24`, `/48`, as {@link IpChangedSignal}).
 */
export interface ManyIpsSignal {
  type: 'many_ips'
  count: number
  withinMs: number
}

/** A signal the application's `detect` hook reported, with the action it chose. */
export interface CustomSignal {
  type: 'custom'
  /** The application's name for its rule, e.g. `'impossible_travel'`. */
  name: string
  /** Free text for the audit log. */
  detail?: string
}

/** Any signal the BFF raises itself; switch on `type`. */
export type BuiltInSignal =
  | UserAgentChangedSignal
  | IpChangedSignal
  | RefreshTooFastSignal
  | ManySessionsSignal
  | ManyIpsSignal

/** The `type` of a {@link BuiltInSignal}. */
export type BuiltInSignalType = BuiltInSignal['type']

/** The built-in signals raised on refresh. */
export type RefreshSignalType = 'user_agent_changed' | 'ip_changed' | 'refresh_too_fast'

/** The built-in signals raised at sign-in. */
export type LoginSignalType = 'many_sessions' | 'many_ips'

/** A signal together with the action configured for it, as `anomaly_detected` reports it. */
export type AnomalySignal = (BuiltInSignal | CustomSignal) & { action: AnomalyAction }

/** What the application's `detect` hook returns for each anomaly it finds. */
export interface AppAnomaly {
  /** The application's name for its rule, e.g. `'impossible_travel'`. */
  name: string
  /** What to do about it; the most severe action among all signals is taken. */
  action: AnomalyAction
  /** Free text for the audit log. */
  detail?: string
}

/** What the `detect` hook sees: the request, the session as it was before it, and what the BFF found. */
export interface AnomalyContext {
  /** `'login'`: a sign-in about to start `session`; `'refresh'`: a rotation of `session`. */
  phase: 'login' | 'refresh'
  /**
   * At refresh, the session as stored before this request (its `ip` and `userAgent` are those of
   * its last request). At sign-in, the session about to be created.
   */
  session: SessionInfo
  /** Where this request comes from. */
  request: { ip: string | null; userAgent: string | null }
  /** The built-in signals found (their actions included), before the hook adds its own. */
  signals: readonly AnomalySignal[]
  /** The Hono context of the request (headers such as a CDN's country header, `c.env`). */
  c: Context
}

/** A limit of the form "more than `max` within `within`". */
export interface AnomalyLimit {
  /** The most that is normal; one more raises the signal. */
  max?: number
  /** The sliding window the count covers. */
  within?: Duration
}

/**
 * The `anomalies` option of `createBff`: which signals lead to which action, the limits of the
 * counting signals, and a hook for the application's own rules. Pass `false` to turn detection
 * off.
 *
 * @example
 * ```ts
 * createBff({
 *   authenticate,
 *   anomalies: {
 *     actions: { ip_changed: 'step_up' },
 *     detect: ({ phase, c }) =>
 *       phase === 'refresh' && c.req.header('cf-ipcountry') === 'T1'
 *         ? [{ name: 'tor_exit', action: 'step_up' }]
 *         : [],
 *   },
 * })
 * ```
 */
export interface AnomalyOptions {
  /**
   * The action for each built-in signal. The sign-in signals take no `step_up` (the user has
   * just proved who they are).
   * @default { user_agent_changed: 'revoke', ip_changed: 'log', refresh_too_fast: 'log', many_sessions: 'log', many_ips: 'log' }
   */
  actions?: { [K in RefreshSignalType]?: AnomalyAction } & {
    [K in LoginSignalType]?: Exclude<AnomalyAction, 'step_up'>
  }
  /**
   * More than `max` rotations of one session within `within` raises `refresh_too_fast`. Only
   * rotations count: a grace-window duplicate (two tabs, a lost response) does not. `within`
   * must be long enough for `max` proactive refreshes of `accessTokenTtl`.
   * @default { max: 30, within: the access-token lifetime, at most '1m' }
   */
  refreshTooFast?: AnomalyLimit
  /**
   * More than `max` live sessions of one user created within `within` (the new one included)
   * raises `many_sessions` at sign-in.
   * @default { max: 10, within: '1h' }
   */
  manySessions?: AnomalyLimit
  /**
   * More than `max` distinct networks among the user's live sessions used within `within` and
   * the sign-in itself raises `many_ips` at sign-in.
   * @default { max: 5, within: '1h' }
   */
  manyIps?: AnomalyLimit
  /**
   * The application's own rules, run on every sign-in, every rotation and every grace-window
   * duplicate (compared with the rotation it repeats: a copied cookie gets no free pass), after
   * the built-in checks: return the anomalies found, each with its action
   * (an empty array when all is well). It can only add signals; to soften a built-in one, set
   * its action to `log` and return a harsher one here when your rule says so.
   *
   * It runs on the refresh path of every open tab, so keep it cheap. A throw, a rejection or a
   * malformed answer answers `503 store_unavailable`, is logged and ends nothing, as a failing
   * `validateSession` does.
   * @default none
   */
  detect?: (context: AnomalyContext) => readonly AppAnomaly[] | Promise<readonly AppAnomaly[]>
}
