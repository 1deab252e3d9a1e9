import { eventLog, useEventLog } from '../event-log'
import { clockTime } from '../format'

/** This tab's session events, newest first. */
export function EventLog() {
  const entries = useEventLog()
  return (
    <section className="card card-flush" aria-labelledby="events-title">
      <div className="card-header">
        <div>
          <h2 id="events-title">Session events</h2>
          <p className="muted">What this tab saw: its own refreshes and what other tabs told it.</p>
        </div>
        <button
          type="button"
          className="button button-small"
          onClick={eventLog.clear}
          disabled={entries.length === 0}
        >
          Clear log
        </button>
      </div>
      <div className="table-scroll">
        <table className="events" aria-label="Session events">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Source</th>
              <th scope="col">Event</th>
            </tr>
          </thead>
          <tbody>
            {entries.length === 0 ? (
              <tr>
                <td colSpan={3} className="empty">
                  Nothing yet. Open this page in a second tab and watch them coordinate.
                </td>
              </tr>
            ) : (
              entries.map((entry) => (
                <tr key={entry.id} data-event={entry.type} data-source={entry.origin}>
                  <td className="mono">{clockTime(entry.at)}</td>
                  <td>
                    <span className={`tag tag-${entry.origin}`}>
                      {entry.origin === 'this-tab' ? 'This tab' : 'Other tab'}
                    </span>
                  </td>
                  <td>{entry.message}</td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
    </section>
  )
}
