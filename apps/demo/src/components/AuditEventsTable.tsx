import { describeEvent, type ConsoleState } from '../console-state'
import { clockTime } from '../format'

interface AuditEventsTableProps {
  events: ConsoleState['events']
  /** A user's name by id, for the descriptions. */
  nameOf: (userId: string) => string | undefined
}

/** Every user's audit events, newest first, as the console has received them. */
export function AuditEventsTable({ events, nameOf }: AuditEventsTableProps) {
  return (
    <section className="card card-flush" aria-labelledby="audit-title">
      <div className="card-header">
        <div>
          <h2 id="audit-title">Audit events</h2>
          <p className="muted">All users, newest first.</p>
        </div>
      </div>
      <div className="table-scroll">
        <table className="events" aria-label="Audit events">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Event</th>
              <th scope="col">IP</th>
            </tr>
          </thead>
          <tbody>
            {events.length === 0 ? (
              <tr>
                <td colSpan={3} className="empty">
                  Waiting for events…
                </td>
              </tr>
            ) : (
              events.map(({ seq, event }) => {
                const { tone, text } = describeEvent(event, nameOf)
                return (
                  <tr key={seq} data-event={event.type} data-user={event.userId ?? undefined}>
                    <td className="mono">{clockTime(event.at)}</td>
                    <td>
                      <span className={`dot dot-${tone}`} aria-hidden="true" />
                      <span className="event-type mono">{event.type}</span> {text}
                    </td>
                    <td className="mono muted">{event.ip ?? '—'}</td>
                  </tr>
                )
              })
            )}
          </tbody>
        </table>
      </div>
    </section>
  )
}
