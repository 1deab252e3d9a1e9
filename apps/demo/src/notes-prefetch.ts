/**
 * @module
 * The dashboard's notes, asked for while the page loads instead of after the dashboard's first
 * paint (issue 18). A page load that resumes a session asks for them at once: the request waits
 * in the client's queue while the session is resumed (a peer's token or one refresh) and leaves
 * the moment the token is there, while React renders the dashboard, instead of from the
 * `NotesCard`'s effect, which runs only after the dashboard has been laid out and painted.
 */
import type { Note } from '../server/api'
import { api, baton } from './baton'

let prefetched: Promise<Note[]> | null = null

// A session that could not be resumed (the user lands on the login page) leaves nothing behind
// for the next one, whoever signs in.
baton.store.subscribe(({ status }) => {
  if (status === 'unauthenticated') prefetched = null
})

/** The notes of the session being resumed, on the dashboard only: `/` and still `loading`. */
export function prefetchNotes(): void {
  // The client settles an anonymous visitor before this runs: `loading` means a session is
  // being resumed, so the request cannot be one that only fails.
  if (baton.store.getState().status !== 'loading' || window.location.pathname !== '/') return
  const request = api
    .get('notes')
    .json<{ notes: Note[] }>()
    .then((body) => body.notes)
  // Its failure is the NotesCard's to show, if it takes it.
  request.catch(() => {})
  prefetched = request
}

/** The notes asked for at page load, once; `null` when there are none to take. */
export function takePrefetchedNotes(): Promise<Note[]> | null {
  const request = prefetched
  prefetched = null
  return request
}
