import { useState } from 'react'
import { isBatonError, useBatonClient, type FactorSummary } from '@baton/react'
import { browserSupportsWebAuthn, registerPasskey } from '@baton/client/passkeys'
import { factorError, factors, useFactors } from '../factors'
import { dateTime, describeDevice, timeAgo } from '../format'
import { RecoveryCodes } from './RecoveryCodes'
import { TotpSetup } from './TotpSetup'

const METHOD_NAMES: Record<FactorSummary['method'], string> = {
  totp: 'Authenticator app',
  passkey: 'Passkey',
}

/**
 * The signed-in user's second factors: an authenticator app (TOTP) with its QR code, passkeys,
 * recovery codes. Adding or removing one wants a recent sign-in: with an older one the step-up
 * dialog asks first, and the request goes through once it is answered.
 */
export function SecurityPage() {
  const baton = useBatonClient()
  const { list, error: loadError, reload } = useFactors()
  const [codes, setCodes] = useState<string[] | null>(null)
  const [busy, setBusy] = useState<string | null>(null)
  const [error, setError] = useState<string | null>(null)
  const shownError = error ?? loadError

  // Each action is a plain async handler, not a form action: it may wait for the step-up
  // dialog, whose own action React would otherwise hold behind this one.
  const run = async (name: string, fallback: string, work: () => Promise<void>) => {
    setBusy(name)
    setError(null)
    try {
      await work()
    } catch (cause) {
      setError(factorError(cause, fallback))
    } finally {
      setBusy(null)
      await reload()
    }
  }

  const addPasskey = () =>
    run('passkey', 'The passkey was not added.', async () => {
      await registerPasskey(baton, { label: describeDevice(navigator.userAgent).name })
    })
  const regenerate = () =>
    run('codes', 'No new recovery codes were made.', async () => {
      setCodes(await factors.regenerateRecoveryCodes())
    })
  const remove = (factor: FactorSummary) =>
    run(factor.id, `${factor.label} was not removed.`, async () => {
      try {
        await factors.remove(factor.id)
      } catch (cause) {
        // Already gone (removed in another tab) is what the user wanted.
        if (!(isBatonError(cause) && cause.code === 'not_found')) throw cause
      }
    })

  const hasFactor = (list?.factors.length ?? 0) > 0
  return (
    <section className="page" aria-labelledby="security-title">
      <div className="page-header">
        <h1 id="security-title">Sign-in methods</h1>
        <p className="lede">
          A second factor protects your account when your password leaks: signing in then also needs
          a code from your authenticator app or a passkey. A passkey also signs you in without any
          password, and confirms sensitive actions with a touch.
        </p>
      </div>

      {shownError && (
        <p role="alert" className="form-error">
          {shownError}
        </p>
      )}

      {codes && (
        <section className="card">
          <RecoveryCodes codes={codes} onDone={() => setCodes(null)} />
        </section>
      )}

      <section className="card card-flush" aria-labelledby="factors-title">
        <div className="card-header">
          <h2 id="factors-title">
            Your second factors {list && <span className="count">{list.factors.length}</span>}
          </h2>
        </div>
        {list === null ? (
          <p className="muted card-body">Loading…</p>
        ) : !hasFactor ? (
          <p className="muted card-body">
            None yet: your password alone signs you in. Add one below.
          </p>
        ) : (
          <ul className="sessions" aria-label="Second factors">
            {list.factors.map((factor) => {
              const labelId = `factor-${factor.id}`
              return (
                <li key={factor.id} className="session">
                  <div className="session-main">
                    <p className="session-name" id={labelId}>
                      {factor.label}
                      <span className="pill">{METHOD_NAMES[factor.method]}</span>
                      {factor.backedUp !== undefined && (
                        <span className="pill pill-accent">
                          {factor.backedUp ? 'Synced' : 'This device only'}
                        </span>
                      )}
                    </p>
                    <p className="session-meta">
                      Added {dateTime(factor.createdAt)} ·{' '}
                      {factor.lastUsedAt === null
                        ? 'Never used'
                        : `Used ${timeAgo(factor.lastUsedAt)}`}
                    </p>
                  </div>
                  <button
                    type="button"
                    className="button button-small button-danger-outline"
                    aria-describedby={labelId}
                    disabled={busy !== null}
                    onClick={() => void remove(factor)}
                  >
                    Remove
                  </button>
                </li>
              )
            })}
          </ul>
        )}
      </section>

      <div className="grid">
        <section className="card" aria-labelledby="totp-title">
          <h2 id="totp-title">Authenticator app</h2>
          <p className="muted">
            Google Authenticator, 1Password, Aegis…: a six-digit code that changes every 30 seconds.
          </p>
          <TotpSetup
            onConfirmed={(result) => {
              if (result.recoveryCodes) setCodes(result.recoveryCodes)
              void reload()
            }}
          />
        </section>

        <section className="card" aria-labelledby="passkey-title">
          <h2 id="passkey-title">Passkeys</h2>
          <p className="muted">
            Kept by this device or your password manager, unlocked with your fingerprint, face or
            PIN. Nothing to type, and useless on any other site.
          </p>
          {browserSupportsWebAuthn() ? (
            <button
              type="button"
              className="button button-primary"
              disabled={busy !== null}
              onClick={() => void addPasskey()}
            >
              {busy === 'passkey' ? 'Waiting for the passkey…' : 'Add a passkey'}
            </button>
          ) : (
            <p className="notice">This browser cannot create passkeys.</p>
          )}
        </section>

        <section className="card" aria-labelledby="codes-title">
          <h2 id="codes-title">Recovery codes</h2>
          <p className="muted">
            {!hasFactor
              ? 'They come with your first second factor.'
              : `${list?.recoveryCodesLeft ?? 0} unused. Each signs you in once when your authenticator is lost; new ones replace them all.`}
          </p>
          {hasFactor && (
            <button
              type="button"
              className="button"
              disabled={busy !== null}
              onClick={() => void regenerate()}
            >
              Regenerate recovery codes
            </button>
          )}
        </section>
      </div>
    </section>
  )
}
