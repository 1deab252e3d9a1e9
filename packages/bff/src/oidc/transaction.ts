/**
 * @module
 * The sign-in transaction: what `/oidc/login` seals into a short-lived cookie and `/oidc/callback`
 * opens (RFC 9700 §2.1: `state`, `nonce` and the PKCE verifier bound to the browser that started).
 * @internal
 */
import { cookieName } from './deps.js'

/** @internal What a transaction cookie holds. */
export interface Transaction {
  /** Random id: the state store refuses a second callback with it (single use across instances). */
  tx: string
  state: string
  nonce: string
  verifier: string
  returnTo: string
  maxAge: number | null
  /**
   * The device key the session will be bound to (`POST /oidc/login` with a DPoP proof), `null`
   * for an unbound one. Absent in a transaction sealed before this field existed: unbound.
   */
  jkt?: string | null
  /** Epoch ms the sign-in started; absent in a transaction sealed before this field existed. */
  startedAt?: number
}

/** @internal True for a value shaped like a {@link Transaction}. */
export const isTransaction = (value: unknown): value is Transaction => {
  const t = value as Partial<Transaction> | null
  return (
    typeof t === 'object' &&
    t !== null &&
    typeof t.tx === 'string' &&
    typeof t.state === 'string' &&
    typeof t.nonce === 'string' &&
    typeof t.verifier === 'string' &&
    typeof t.returnTo === 'string' &&
    (t.maxAge === null || typeof t.maxAge === 'number') &&
    (t.jkt === undefined || t.jkt === null || typeof t.jkt === 'string') &&
    (t.startedAt === undefined || typeof t.startedAt === 'number')
  )
}

/** @internal The transaction cookie's name (`__Host-baton_oidc` when the cookies are Secure). */
export const transactionCookieName = (secure: boolean) => cookieName(secure, 'baton_oidc')

/**
 * @internal Its attributes. Lax, not Strict: the callback is a top-level navigation coming from
 * the provider's site, and a Strict cookie would not travel with it. HttpOnly and encrypted: the
 * page never sees the verifier or the nonce.
 */
export const transactionCookieAttributes = (secure: boolean) =>
  ({ httpOnly: true, secure, sameSite: 'Lax', path: '/' }) as const
