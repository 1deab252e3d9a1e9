import { Link } from './Link'

export function NotFound() {
  return (
    <section className="page">
      <h1>Page not found</h1>
      <p className="lede">
        There is nothing at this address. <Link to="/">Back to the dashboard</Link>
      </p>
    </section>
  )
}
