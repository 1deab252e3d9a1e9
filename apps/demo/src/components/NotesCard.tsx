import { useActionState, useEffect, useId, useState } from 'react'
import { isBatonError } from '@baton/react'
import { HTTPError } from '@baton/react/ky'
import type { Note } from '../../server/api'
import { api } from '../baton'
import { formText } from '../form'
import { takePrefetchedNotes } from '../notes-prefetch'
import { dateTime } from '../format'

/** What to tell the user about a failed API call, in the words of whoever refused it. */
async function problem(error: unknown): Promise<string> {
  if (isBatonError(error)) {
    // No request reached the API: the session or the network is the problem, not the note.
    switch (error.code) {
      case 'session_expired':
        return 'Your session has ended. Sign in again to see your notes.'
      case 'network_unavailable':
        return 'The server cannot be reached. Your note was not saved; try again.'
      default:
        return error.message
    }
  }
  if (error instanceof HTTPError) {
    // The demo API answers every error as { "error": { "code", "message" } }; optional chaining
    // copes with any other JSON (or none), and the message is checked before it is shown.
    const body = (await error.response.json().catch(() => null)) as {
      error?: { message?: unknown } | null
    } | null
    const message = body?.error?.message
    return typeof message === 'string' ? message : `The API answered ${error.response.status}.`
  }
  return 'Something went wrong.'
}

/** Notes stored by the demo API for the signed-in user: a POST and a GET behind the token. */
export function NotesCard() {
  const [notes, setNotes] = useState<Note[] | null>(null)
  const [loadFailure, setLoadFailure] = useState<string | null>(null)
  const [text, setText] = useState('')
  const inputId = useId()

  useEffect(() => {
    let live = true
    const request =
      takePrefetchedNotes() ??
      api
        .get('notes')
        .json<{ notes: Note[] }>()
        .then((body) => body.notes)
    request.then(
      (notes) => live && setNotes(notes),
      async (cause: unknown) => {
        const message = await problem(cause)
        if (live) setLoadFailure(message)
      },
    )
    return () => {
      live = false
    }
  }, [])

  const [saveFailure, addNote, saving] = useActionState(
    async (_previous: string | null, form: FormData): Promise<string | null> => {
      setLoadFailure(null)
      try {
        const { note } = await api
          .post('notes', { json: { text: formText(form, 'text') } })
          .json<{ note: Note }>()
        setNotes((current) => [note, ...(current ?? [])])
        setText('')
        return null
      } catch (cause) {
        return problem(cause)
      }
    },
    null,
  )
  // A new attempt hides the previous failure until it has its own outcome.
  const error = saving ? null : (saveFailure ?? loadFailure)

  return (
    <section className="card" aria-labelledby="notes-title">
      <h2 id="notes-title">Notes</h2>
      <p className="muted">Kept by the demo API, which trusts only the bearer token.</p>
      <form className="inline-form" action={addNote}>
        <label htmlFor={inputId} className="visually-hidden">
          New note
        </label>
        <input
          id={inputId}
          name="text"
          value={text}
          maxLength={500}
          placeholder="Write a note…"
          onChange={(event) => setText(event.target.value)}
        />
        <button type="submit" className="button" disabled={saving || text.trim() === ''}>
          Add note
        </button>
      </form>
      {error && (
        <p role="alert" className="form-error">
          {error}
        </p>
      )}
      {notes === null ? (
        <p className="muted">Loading notes…</p>
      ) : notes.length === 0 ? (
        <p className="muted empty-inline">No notes yet.</p>
      ) : (
        <ul className="notes" aria-label="Notes">
          {notes.map((note) => (
            <li key={note.id}>
              <span>{note.text}</span>
              <time dateTime={new Date(note.createdAt).toISOString()}>
                {dateTime(note.createdAt)}
              </time>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
