/**
 * @module
 * The tickets of `401 mfa_required`: after a right password, a user with a confirmed factor gets a
 * short-lived ticket instead of a session, bound to the browser that got it (an HttpOnly cookie)
 * and to the login's DPoP key, and spent once at `POST /login/mfa`. Tickets are stored under their
 * hash, with a budget of tries that ends them.
 *
 * One answer per ticket is judged at a time (`ticket-judging.ts`).
 * @internal
 */
import type { FactorMethod, SessionUser } from '@baton/protocol'
import type { Context } from 'hono'
import { generateCookie } from 'hono/cookie'
import { BffError } from '../errors.js'
import { digest, randomId } from './secrets.js'
import type { MfaDeps } from './service-deps.js'
import { createJudging, judgingKey } from './ticket-judging.js'

/** @internal The pending sign-in a ticket names. */
export interface TicketRecord {
  user: SessionUser
  methods: FactorMethod[]
  /** SHA-256 of the HttpOnly cookie value that binds the ticket to its browser. */
  binder: string
  /** The DPoP key the login request was signed with, if any: `/login/mfa` must use the same. */
  jkt: string | null
  expiresAt: number
}

/** The cookie binding a ticket to the browser that got it. */
export const TICKET_COOKIE = { secure: '__Host-baton_mfa', plain: 'baton_mfa' } as const

const ticketGone = () =>
  new BffError(
    401,
    'session_expired',
    'The sign-in ticket is unknown, used or expired; sign in again.',
  )

/**
 * `401 mfa_required`: the password was right and the user has a second factor. The body is
 * `MfaRequiredErrorBody` of `@baton/protocol`; the response also sets the cookie that binds the
 * ticket to this browser.
 */
export class MfaRequiredError extends BffError {
  constructor(
    readonly ticket: string,
    readonly methods: FactorMethod[],
    readonly expiresAt: number,
    readonly expiresIn: number,
    cookie: string,
  ) {
    super(401, 'mfa_required', 'A second factor is required to finish signing in.', {
      headers: { 'set-cookie': cookie, 'cache-control': 'no-store' },
    })
  }

  override getResponse(): Response {
    const res = super.getResponse()
    const body = {
      error: {
        code: 'mfa_required' as const,
        message: this.message,
        ticket: this.ticket,
        methods: this.methods,
        expiresAt: this.expiresAt,
        expiresIn: this.expiresIn,
      },
    }
    return new Response(JSON.stringify(body), { status: res.status, headers: res.headers })
  }
}

/**
 * @internal
 * @param methodsOf The methods a user can finish a sign-in with (`factors.ts`).
 */
export function createTickets(
  { config, mfa, emit }: MfaDeps,
  methodsOf: (userId: string) => Promise<FactorMethod[]>,
) {
  const { factors } = mfa
  const judging = createJudging(factors, config.now, mfa.ticketTtlMs, config.logger)
  const ticketCookieName = config.cookie.secure ? TICKET_COOKIE.secure : TICKET_COOKIE.plain

  const ticketCookie = (value: string, maxAge: number) =>
    generateCookie(ticketCookieName, value, {
      path: '/',
      httpOnly: true,
      secure: config.cookie.secure,
      sameSite: 'Strict',
      maxAge,
    })

  return {
    /**
     * After a right password: throws {@link MfaRequiredError} with a new ticket when the user has
     * a confirmed factor; returns when they have none.
     */
    async challengeAtLogin(c: Context, user: SessionUser, jkt: string | null): Promise<void> {
      const methods = await methodsOf(user.id)
      if (methods.length === 0) return
      const now = config.now()
      const ticket = randomId(32)
      const binder = randomId(32)
      const expiresAt = now + mfa.ticketTtlMs
      const record: TicketRecord = { user, methods, binder: digest(binder), jkt, expiresAt }
      const key = `t:${digest(ticket)}`
      await factors.putPending(key, JSON.stringify(record), expiresAt, now)
      await factors.putPending(judgingKey(key), '', expiresAt, now)
      emit(c, user.id, {
        type: 'mfa_challenged',
        route: 'login',
        method: null,
        reason: 'challenged',
      })
      const cookie = ticketCookie(binder, Math.ceil(mfa.ticketTtlMs / 1000))
      const expiresIn = Math.floor(mfa.ticketTtlMs / 1000)
      throw new MfaRequiredError(ticket, methods, expiresAt, expiresIn, cookie)
    },

    /**
     * The pending sign-in `ticket` names, if this browser holds it (its binding cookie, and the
     * same DPoP key as the login): `401 session_expired` otherwise.
     */
    async openTicket(c: Context, ticket: string, jkt: string | null) {
      const key = `t:${digest(ticket)}`
      const stored = await factors.getPending(key, config.now())
      if (stored === null) throw ticketGone()
      const record = JSON.parse(stored) as TicketRecord
      const binder = cookieValue(c, ticketCookieName)
      if (binder === null || digest(binder) !== record.binder || record.jkt !== jkt) {
        throw ticketGone()
      }
      return { key, record }
    },

    /**
     * Runs `judge` (the checks of one answer) as the only answer being judged on the ticket of
     * `key`: `401 session_expired`, unjudged, while another is, as for a spent ticket.
     */
    judgeAlone: <T>(key: string, judge: () => Promise<T>) => judging.alone(key, judge, ticketGone),

    /**
     * Takes one of the ticket's tries before its answer is checked, as the per-user budget does: a
     * burst of parallel guesses could all be judged before any of them was counted. A try past the
     * last ends the ticket unjudged. Returns whether this is the last allowed try.
     */
    async takeTry(key: string): Promise<{ last: boolean }> {
      const tries = await factors.failPending(key, config.now())
      if (tries === null) throw ticketGone()
      if (tries > mfa.maxTicketTries) {
        await factors.takePending(key, config.now())
        throw ticketGone()
      }
      return { last: tries === mfa.maxTicketTries }
    },

    /** Gives back a try whose answer was never judged (a store failure, a malformed answer). */
    async returnTry(key: string) {
      await factors.failPending(key, config.now(), -1)
    },

    /** A wrong answer on a ticket; the last allowed try ends it. */
    async failTicket(c: Context, key: string, userId: string, method: FactorMethod, last: boolean) {
      if (last) await factors.takePending(key, config.now())
      emit(c, userId, {
        type: 'mfa_failed',
        route: 'login_mfa',
        method,
        reason: last ? 'too_many_tries' : 'invalid',
      })
    },

    /** Takes the ticket for the sign-in it names: once. */
    async takeTicket(key: string) {
      if ((await factors.takePending(key, config.now())) === null) throw ticketGone()
    },

    /** The `Set-Cookie` that drops the ticket's binding cookie. */
    clearedTicketCookie: () => ticketCookie('', 0),
  }
}

/** The single value of cookie `name`, or `null` when absent or sent more than once. */
function cookieValue(c: Context, name: string): string | null {
  const values = (c.req.header('cookie') ?? '')
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.startsWith(`${name}=`))
    .map((part) => part.slice(name.length + 1))
  return values.length === 1 && values[0] !== '' ? values[0]! : null
}
