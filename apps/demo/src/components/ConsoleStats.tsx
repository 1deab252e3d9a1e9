import type { ConsoleState } from '../console-state'

function Stat(props: { label: string; value: number; tone?: 'danger' | 'warning'; id: string }) {
  const alarming = props.value > 0 && props.tone !== undefined
  return (
    <div className={`stat${alarming ? ` stat-${props.tone}` : ''}`} data-stat={props.id}>
      <span className="stat-value">{props.value}</span>
      <span className="stat-label">{props.label}</span>
    </div>
  )
}

/** The security console's counters at a glance; a nonzero alarm count takes its tone. */
export function ConsoleStats({ state }: { state: ConsoleState }) {
  const total = (type: string) => state.totals[type] ?? 0
  return (
    <div className="stats" aria-label="At a glance">
      <Stat
        id="refreshes"
        label="refreshes this minute"
        value={state.refreshesPerMinute.at(-1) ?? 0}
      />
      <Stat id="logins" label="sign-ins" value={total('login')} />
      <Stat id="failed" label="failed sign-ins" value={total('login_failed')} tone="warning" />
      <Stat id="reuse" label="reuse alarms" value={total('reuse_detected')} tone="danger" />
      <Stat id="anomalies" label="anomalies" value={total('anomaly_detected')} tone="danger" />
      <Stat id="rate-limited" label="rate-limited" value={total('rate_limited')} tone="warning" />
    </div>
  )
}
