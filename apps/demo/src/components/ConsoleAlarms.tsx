import { describeEvent, type ConsoleState } from '../console-state'
import { clockTime } from '../format'

/** The events that raise an alarm on the console. */
const ALARMS = ['reuse_detected', 'anomaly_detected', 'rate_limited']

interface ConsoleAlarmsProps {
  events: ConsoleState['events']
  /** A user's name by id, for the descriptions. */
  nameOf: (userId: string) => string | undefined
}

/** The reuse, anomaly and rate-limit events among the console's events. */
export function ConsoleAlarms({ events, nameOf }: ConsoleAlarmsProps) {
  const alarms = events.filter(({ event }) => ALARMS.includes(event.type))
  return (
    <section className="card card-flush" aria-labelledby="alarms-title">
      <div className="card-header">
        <h2 id="alarms-title">Alarms</h2>
      </div>
      {alarms.length === 0 ? (
        <p className="muted card-body">No reuse, anomaly or rate limit so far.</p>
      ) : (
        <ul className="alarms" aria-label="Alarms">
          {alarms.map(({ seq, event }) => (
            <li key={seq} data-event={event.type}>
              <span className="mono">{clockTime(event.at)}</span>{' '}
              {describeEvent(event, nameOf).text}
              {event.action !== undefined && (
                <span className="pill pill-danger">action: {String(event.action)}</span>
              )}
              {event.ip && <span className="mono muted"> {event.ip}</span>}
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
