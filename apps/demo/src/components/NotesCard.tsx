import { useEffect, useId, useState, type FormEvent } from 'react'
import { HTTPError, useBatonClient } from '@baton/react'
import type { Note } from '../../server/api'
import { dateTime } from '../format'

async function problem(error: unknown): Promise<string> {
  if (error instanceof HTTPError) {
    const body = (await error.response.json().catch(() => null)) as {
      error?: { message?: string }
    } | null
    return body?.error?.message ?? `The API answered ${error.response.status}.`
  }
  return error instanceof Error ? error.message : 'Something went wrong.'
}

/** Notes stored by the demo API for the signed-in user: a POST and a GET behind the token. */
export function NotesCard() {
  const { api } = useBatonClient()
  const [notes, setNotes] = useState<Note[] | null>(null)
  const [text, setText] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [saving, setSaving] = useState(false)
  const inputId = useId()

  useEffect(() => {
    let live = true
    api
      .get('notes')
      .json<{ notes: Note[] }>()
      .then(
        (body) => live && setNotes(body.notes),
        async (cause: unknown) => {
          const message = await problem(cause)
          if (live) setError(message)
        },
      )
    return () => {
      live = false
    }
  }, [api])

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    setSaving(true)
    setError(null)
    try {
      const { note } = await api.post('notes', { json: { text } }).json<{ note: Note }>()
      setNotes((current) => [note, ...(current ?? [])])
      setText('')
    } catch (cause) {
      setError(await problem(cause))
    } finally {
      setSaving(false)
    }
  }

  return (
    <section className="card" aria-labelledby="notes-title">
      <h2 id="notes-title">Notes</h2>
      <p className="muted">Kept by the demo API, which trusts only the bearer token.</p>
      <form className="inline-form" onSubmit={onSubmit}>
        <label htmlFor={inputId} className="visually-hidden">
          New note
        </label>
        <input
          id={inputId}
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
