import { useState } from 'react'
import { isBatonError } from '@baton/react'
import { HTTPError } from '@baton/react/ky'
import { api } from '../baton'
import { dateTime } from '../format'

/** What `POST /api/transfer` answers. */
interface Transfer {
  transfer: { amount: number; at: number }
}

type Outcome = { ok: true; text: string } | { ok: false; text: string } | null

/** Why the transfer did not happen, in words for the user. */
async function transferError(error: unknown): Promise<string> {
  if (isBatonError(error)) {
    switch (error.code) {
      case 'step_up_required':
        return 'Not sent: your password was not confirmed.'
      case 'session_expired':
        return 'Your session has ended. Sign in again.'
      case 'network_unavailable':
        return 'The server cannot be reached. Nothing was sent.'
      default:
        return error.message
    }
  }
  if (error instanceof HTTPError) {
    const body = (await error.response.json().catch(() => null)) as {
      error?: { message?: unknown } | null
    } | null
    const message = body?.error?.message
    return typeof message === 'string' ? message : `The API answered ${error.response.status}.`
  }
  return 'Something went wrong.'
}

/**
 * The demo's sensitive action: `POST /api/transfer` wants a recent sign-in (step-up, RFC 9470).
 * With an old one the request waits while the step-up dialog asks for the password, then goes
 * through; the card shows the outcome either way.
 */
export function TransferCard() {
  const [outcome, setOutcome] = useState<Outcome>(null)
  const [sending, setSending] = useState(false)
  // Not a form action: React entangles pending async transitions, so the step-up dialog's own
  // action could not finish while this one waits for it.
  const send = async () => {
    setSending(true)
    try {
      // No ky timeout: the request may wait for the user to type their password.
      const { transfer } = await api
        .post('transfer', { json: { amount: 100 }, timeout: false })
        .json<Transfer>()
      setOutcome({ ok: true, text: `Sent ${transfer.amount} credits at ${dateTime(transfer.at)}.` })
    } catch (cause) {
      setOutcome({ ok: false, text: await transferError(cause) })
    } finally {
      setSending(false)
    }
  }

  return (
    <section className="card" aria-labelledby="transfer-title">
      <h2 id="transfer-title">Sensitive action</h2>
      <p className="muted">
        Sending credits needs a recent sign-in. After a while the API asks for your password again,
        and the request goes through once you confirm it.
      </p>
      <button
        type="button"
        className="button button-primary"
        disabled={sending}
        onClick={() => void send()}
      >
        {sending ? 'Sending…' : 'Send 100 credits'}
      </button>
      <p
        role="status"
        aria-label="Transfer result"
        className={outcome && !outcome.ok ? 'form-error' : 'muted'}
      >
        {outcome?.text ?? ''}
      </p>
    </section>
  )
}
