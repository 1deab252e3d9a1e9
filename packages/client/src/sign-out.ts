/**
 * @module
 * Signing out, and a sign-out the BFF has not confirmed (it failed on the network, or the tab
 * closed during it), remembered in this browser until it is: meanwhile no tab refreshes the
 * session, and the next start sends the logout again instead of a refresh. Without it, a sign-out
 * during an outage would come back at the next page load, its refresh cookie still valid
 * (issue 12, M1).
 */
import {
  OIDC_END_HINT_COOKIE,
  type BaseUser,
  type OidcLoginBody,
  type OidcPrompt,
  type TabMessage,
} from '@baton/protocol'
import type { AuthApi } from './auth-api.js'
import type { Dpop } from './dpop.js'
import type { RefreshCoordinator } from './refresh-coordinator.js'
import { SessionExpiredError } from './errors.js'
import type { ClientConfig } from './options.js'
import { hasSessionHint, sessionHintValue } from './session-hint.js'
import type { TabSession } from './tab-session.js'

/**
 * @internal The pending sign-out in `adapters.storage` (localStorage by default): `1` or
 * `everywhere`, then `:` and the session hint's value when the page could read it. That tag names
 * the sign-in the sign-out was for: once the hint holds another (a new sign-in the client did not
 * make, such as an OpenID Connect redirect, replaced that session at the BFF), the sign-out has
 * nothing left to end, and sending it again would end the new session instead.
 */
export function createPendingLogout(
  config: Pick<ClientConfig, 'channel' | 'adapters' | 'cookies' | 'sessionHintCookie'>,
) {
  // Named after the channel, which is per BFF: another app's sign-out is not this one's.
  const key = `${config.channel}:logout`
  const use = <R>(act: (storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>) => R) => {
    try {
      const { storage = globalThis.localStorage } = config.adapters
      return storage ? act(storage) : null
    } catch {
      // No storage (Node), or one that throws (sandboxed iframe, storage disabled, quota).
      return null
    }
  }
  const hint = () => sessionHintValue(config.cookies(), config.sessionHintCookie)
  const clear = () => void use((storage) => storage.removeItem(key))
  /** The pending sign-out (`true`: everywhere), or `null` for none. */
  const read = (): boolean | null => {
    const [mode, tag] = use((storage) => storage.getItem(key))?.split(':') ?? []
    if (!mode) return null
    const now = tag === undefined ? null : hint()
    // Another sign-in's hint: that one replaced the session this sign-out was for.
    if (typeof now === 'string' && now !== tag) {
      clear()
      return null
    }
    return mode === 'everywhere'
  }
  return {
    read,
    /** This browser says the session is over: a sign-out is pending, or the BFF cleared the hint. */
    signedOutHere: () =>
      read() !== null || hasSessionHint(config.cookies(), config.sessionHintCookie) === false,
    hint,
    /** `tag`: the hint of the session the sign-out is for, by default the one held now. */
    write: (everywhere: boolean, tag = hint()) => {
      const mode = everywhere ? 'everywhere' : '1'
      use((storage) => storage.setItem(key, typeof tag === 'string' ? `${mode}:${tag}` : mode))
    },
    clear,
  }
}

/** @internal */
export type PendingLogout = ReturnType<typeof createPendingLogout>

/**
 * @internal Returns `signOut(everywhere, retry?)`: signs this browser out with the BFF, and every
 * tab; `retry` for the sign-out a previous page could not finish. Resolves to whether it signed
 * out: a retry that finds nothing left to end leaves the tab as it is (`false`). Rejects with the
 * failure when the BFF did not confirm, the tab being signed out all the same.
 */
export function createSignOut<TUser extends BaseUser>(context: {
  auth: AuthApi<TUser>
  pending: PendingLogout
  session: TabSession<TUser>
  withLock: <R>(fn: () => Promise<R>) => Promise<R>
  post: (message: TabMessage<TUser>) => void
  settle: () => void
}) {
  const { auth, pending, session, post } = context
  return async (everywhere: boolean, retry?: boolean): Promise<boolean> => {
    // Remembered first: a tab closed during the call still finishes it at the next start.
    if (!retry) pending.write(everywhere)
    let presented!: string | false | null
    const outcome = await context.withLock(async () => {
      // Finished meanwhile by another tab, or replaced by a sign-in: nothing left to end.
      if (retry && pending.read() === null) return null
      // A peer's refresh queued behind this lock would otherwise go out with the cookie the
      // logout clears (401 no_session, the wrong reason): announced like a refresh, it makes
      // peers wait for the 'ended' below instead, even if that message lands after the lock.
      post({ type: 'logging_out', refreshId: crypto.randomUUID() })
      // The session this call ends: the hint may change before the answer (the BFF clears it even
      // on a 503, an OpenID callback in another tab replaces it).
      presented = pending.hint()
      return auth.logout(everywhere)
    })
    // Ending the tab's session now would end the sign-in that replaced the pending sign-out (its
    // grant may be adopted here already), and telling the other tabs would end it there too.
    if (outcome === null) return false
    // A 401 means the BFF holds no such session any more: what was asked.
    const failed = outcome.kind === 'network' || outcome.kind === 'rejected' ? outcome.error : null
    // Unconfirmed, it is still owed, and for the session this call presented: a sign-in that
    // finished while this one waited for the lock cleared the marker written before it.
    if (!failed) pending.clear()
    // None presented (the hint was gone): the marker stays as it is, as untagged it would end
    // whatever sign-in comes next.
    else if (presented !== false) pending.write(everywhere, presented)
    const sessionId = session.current?.sessionId ?? null
    // Signed out here whatever the BFF said: the user asked for it. A `cause` says the BFF has
    // not confirmed it yet.
    session.end(new SessionExpiredError('logged_out', failed ? { cause: failed } : {}), 'local')
    post({ type: 'ended', sessionId, reason: 'logged_out' })
    context.settle()
    if (failed) throw failed
    return true
  }
}

/** @internal The readable cookie that says the BFF has a provider session to end on sign-out. */
export const END_SESSION_MARKER = OIDC_END_HINT_COOKIE

/** @internal Navigates this page to `url` (a top-level navigation, not `fetch`). */
export const navigate = (url: string): void => {
  const location = (globalThis as { location?: Pick<Location, 'assign'> }).location
  location?.assign(url)
}

/**
 * @internal After a confirmed sign-out: when the BFF left the end-session marker, this tab goes
 * to `{baseUrl}/oidc/logout`, which sends it on to the provider's end-session page (RP-initiated
 * logout), so the provider's session ends with Baton's and the next sign-in asks for the password.
 * Returns whether it navigated.
 */
export function endProviderSession(config: Pick<ClientConfig, 'baseUrl' | 'cookies'>): boolean {
  const cookies = config.cookies()
  if (cookies === null) return false
  const marked = cookies.split(';').some((pair) => pair.trim() === `${END_SESSION_MARKER}=1`)
  if (marked) navigate(`${config.baseUrl}/oidc/logout`)
  return marked
}

/** Options of `loginWithRedirect()`. */
export interface LoginRedirectOptions {
  /**
   * Where the browser lands once signed in: a path on the BFF's origin (the BFF refuses any other).
   * @default the current page (`location.pathname + search + hash`), else `'/'`
   */
  returnTo?: string
  /** `prompt` for the provider (`login` forces the password again, `none` never asks). */
  prompt?: OidcPrompt
  /** `max_age` for the provider: the most seconds since the user last proved who they are there. */
  maxAge?: number
}

/** @internal What `POST {baseUrl}/oidc/login` is sent for `options`. */
export function oidcLoginBody(options: LoginRedirectOptions = {}): OidcLoginBody {
  const page = (globalThis as { location?: Pick<Location, 'pathname' | 'search' | 'hash'> })
    .location
  const returnTo = options.returnTo ?? (page ? `${page.pathname}${page.search}${page.hash}` : '/')
  return {
    returnTo,
    ...(options.prompt === undefined ? {} : { prompt: options.prompt }),
    ...(options.maxAge === undefined ? {} : { maxAge: options.maxAge }),
  }
}

/**
 * @internal A sign-in at the OpenID provider: `POST {baseUrl}/oidc/login` signed by the device key,
 * then the navigation to the provider's URL it answers with. Where this browser cannot hold a key
 * there is no proof to send: the navigation goes to `GET {baseUrl}/oidc/login?…` at once.
 */
export async function loginWithRedirect<TUser extends BaseUser>(
  config: Pick<ClientConfig, 'baseUrl'>,
  {
    dpop,
    auth,
    coordinator,
  }: { dpop: Dpop | undefined; auth: AuthApi<TUser>; coordinator: RefreshCoordinator<TUser> },
  options?: LoginRedirectOptions,
): Promise<void> {
  const body = oidcLoginBody(options)
  if (!dpop) {
    const query = new URLSearchParams({ returnTo: body.returnTo })
    if (body.prompt !== undefined) query.set('prompt', body.prompt)
    if (body.maxAge !== undefined) query.set('max_age', String(body.maxAge))
    return navigate(`${config.baseUrl}/oidc/login?${query.toString()}`)
  }
  // Under the lock, as a sign-in: the key the proof is signed with (made now if there is none)
  // is the one the session will be bound to, and no other tab replaces it meanwhile.
  const started = await coordinator.withLock(() => auth.oidcLogin(body))
  if (started.kind !== 'started') throw started.error
  navigate(started.location)
}
