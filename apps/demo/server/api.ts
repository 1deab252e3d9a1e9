/**
 * @module
 * The demo API (`/api/*`): a separate Hono app that knows nothing of cookies or the session
 * store's contents. It trusts one thing, the bearer access token, verified by `requireAuth()`
 * against the BFF's public keys, as any other service of the product would.
 */
import {
  BffError,
  bffErrorHandler,
  bffNotFound,
  readJsonBody,
  requireAuth,
  type DpopNonceOptions,
  type JwksSource,
  type RequireAuthVariables,
  type SessionStore,
} from '@baton/bff'
import { Hono } from 'hono'
import type { UserDirectory } from './users.js'

/** A note, as `GET /api/notes` returns it. */
export interface Note {
  id: string
  text: string
  /** Epoch ms. */
  createdAt: number
}

/** Options of {@link createDemoApi}. */
export interface DemoApiOptions {
  jwks: JwksSource
  issuer: string
  audience: string
  users: UserDirectory
  /** Learn revocations from the store, so a revoked session's tokens stop working at once. */
  checkRevoked?: Pick<SessionStore, 'subscribeRevocations'>
  /**
   * The BFF's access-token lifetime in ms: older tokens are refused.
   * @default 300_000 (the BFF's default)
   */
  maxTokenAge?: number
  /**
   * How recent a sign-in `POST /transfer` wants, in ms (whole seconds): older is answered
   * `401 step_up_required` (RFC 9470) and the SPA asks for the password again.
   * @default 300_000
   */
  stepUpMaxAge?: number
  /**
   * DPoP server nonces, with the BFF's secret so that its nonces are good here too: a bound
   * token's proof must carry a current one (`401 use_dpop_nonce` otherwise).
   * @default none
   */
  dpopNonce?: DpopNonceOptions
}

/** Longest note, in characters. */
export const MAX_NOTE_LENGTH = 500
/** Largest accepted request body, in bytes. */
export const MAX_BODY_BYTES = 4 * 1024
/** Notes kept per user; older ones are dropped, so the in-memory demo cannot grow unbounded. */
const MAX_NOTES_PER_USER = 100

const DEFAULT_TOKEN_TTL = 5 * 60_000
const HOUR = 60 * 60_000
/** `requireAuth`'s default clock tolerance. */
const CLOCK_TOLERANCE = 5_000

const invalidRequest = (message: string) => new BffError(400, 'invalid_request', message)

/**
 * Creates the API: `GET /me`, `GET /notes`, `POST /notes` (`{ "text": "…" }`). Every error is
 * `{ "error": { "code", "message" } }` with a 4xx status; none is a 500.
 *
 * @example
 * ```ts
 * app.route('/api', createDemoApi({ jwks: keys, issuer: 'baton', audience: 'baton-api', users }))
 * ```
 */
export function createDemoApi(options: DemoApiOptions): Hono<{ Variables: RequireAuthVariables }> {
  const notes = new Map<string, Note[]>()

  const api = new Hono<{ Variables: RequireAuthVariables }>()
  api.onError(bffErrorHandler())
  // Only used when the API runs on its own: mounted, the host app's notFound answers.
  api.notFound(bffNotFound)

  const maxTokenAge = options.maxTokenAge ?? DEFAULT_TOKEN_TTL
  const verify = {
    jwks: options.jwks,
    issuer: options.issuer,
    audience: options.audience,
    maxTokenAge,
    // A revoked id must be remembered for as long as a token of its session could pass:
    // `requireAuth` refuses to start otherwise. An hour, or longer for long-lived tokens.
    revokedRetention: Math.max(HOUR, maxTokenAge + CLOCK_TOLERANCE),
    ...(options.checkRevoked ? { checkRevoked: options.checkRevoked } : {}),
    ...(options.dpopNonce ? { dpop: { nonce: options.dpopNonce } } : {}),
  }
  api.use(requireAuth(verify))
  // The demo's sensitive action: it also wants a recent sign-in (step-up, RFC 9470).
  const recentSignIn = requireAuth({ ...verify, maxAge: options.stepUpMaxAge ?? 300_000 })
  api.use(async (c, next) => {
    await next()
    c.header('cache-control', 'no-store')
  })

  api.get('/me', (c) => {
    const user = options.users.find(c.var.userId)
    return c.json({
      id: c.var.userId,
      name: user?.name ?? null,
      email: user?.email ?? null,
      sessionId: c.var.sessionId,
      tokenExpiresAt: c.var.claims.exp * 1000,
    })
  })

  api.get('/notes', (c) => c.json({ notes: notes.get(c.var.userId) ?? [] }))

  api.post('/notes', async (c) => {
    const body = await readJsonBody(c, { maxBytes: MAX_BODY_BYTES })
    const text = (body as { text?: unknown } | null)?.text
    if (typeof body !== 'object' || body === null || typeof text !== 'string') {
      throw invalidRequest('Expected a JSON object { "text": string }.')
    }
    const trimmed = text.trim()
    if (trimmed === '') throw invalidRequest('text must not be empty.')
    if (trimmed.length > MAX_NOTE_LENGTH) {
      throw invalidRequest(`text must be at most ${MAX_NOTE_LENGTH} characters.`)
    }
    // Random, not a counter: a counter shared by every user would tell each how many notes the
    // others wrote.
    const note: Note = { id: crypto.randomUUID(), text: trimmed, createdAt: Date.now() }
    const list = [note, ...(notes.get(c.var.userId) ?? [])].slice(0, MAX_NOTES_PER_USER)
    notes.set(c.var.userId, list)
    return c.json({ note }, 201)
  })

  // A pretend money transfer: nothing moves; it answers what it would have done, and when the
  // user last proved who they are.
  api.post('/transfer', recentSignIn, async (c) => {
    const body = await readJsonBody(c, { maxBytes: MAX_BODY_BYTES })
    const amount = (body as { amount?: unknown } | null)?.amount
    if (typeof amount !== 'number' || !Number.isInteger(amount) || amount <= 0 || amount > 1e6) {
      throw invalidRequest('Expected a JSON object { "amount": integer from 1 to 1000000 }.')
    }
    return c.json({ transfer: { amount, at: Date.now() }, authTime: c.var.authTime })
  })

  return api
}
