/** The Baton mark: a baton being passed. Decorative; the text next to it names the app. */
export function Logo({ size = 28 }: { size?: number }) {
  return (
    <svg width={size} height={size} viewBox="0 0 32 32" aria-hidden="true" className="logo">
      <rect width="32" height="32" rx="8" fill="currentColor" />
      <path d="M9 23 23 9" stroke="#fff" strokeWidth="4" strokeLinecap="round" />
      <circle cx="23" cy="9" r="3.5" fill="#c7d2fe" />
    </svg>
  )
}
