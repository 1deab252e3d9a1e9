import { useId } from 'react'

/**
 * Ten recovery codes, shown this once (the BFF keeps only their hashes): the user copies them,
 * then says so, and they are gone from the page.
 */
export function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const titleId = useId()
  return (
    <section className="recovery" aria-labelledby={titleId}>
      <h3 id={titleId}>Your recovery codes</h3>
      <p className="muted">
        Each code signs you in once if you lose your authenticator. Save them somewhere safe now:
        they will not be shown again.
      </p>
      <ol className="recovery-codes mono" aria-label="Recovery codes">
        {codes.map((code) => (
          <li key={code}>{code}</li>
        ))}
      </ol>
      <div className="button-row">
        <button
          type="button"
          className="button"
          onClick={() => void navigator.clipboard?.writeText(codes.join('\n')).catch(() => {})}
        >
          Copy
        </button>
        <button type="button" className="button button-primary" onClick={onDone}>
          I saved them
        </button>
      </div>
    </section>
  )
}
