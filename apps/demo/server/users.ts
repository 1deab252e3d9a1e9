/**
 * @module
 * The demo's user directory: two accounts whose passwords are hashed with scrypt at start.
 * `authenticate` does the same work whether or not the user exists (one scrypt, one
 * constant-time comparison), so response times do not reveal which usernames are valid
 * (OWASP ASVS 2.2.x, "Authentication Cheat Sheet: Authentication and error messages").
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import type { Credentials } from '@baton/bff'

/** What the demo knows about a user; the BFF puts it in the session and the SPA shows it. */
export interface DemoUser {
  [claim: string]: unknown
  id: string
  username: string
  name: string
  email: string
  /** `admin` opens the security console (`/admin`, `/api/admin/*`). */
  role: 'admin' | 'member'
}

/** A demo account with its clear-text password (printed at start so people can sign in). */
export interface DemoAccount {
  password: string
  user: DemoUser
}

/** The built-in accounts. Literal types, so the e2e suite can type usernames as `'alice' | 'bob'`. */
export const DEMO_ACCOUNTS = [
  {
    password: 'wonderland',
    user: {
      id: 'u-alice',
      username: 'alice',
      name: 'Alice',
      email: 'alice@example.com',
      role: 'admin',
    },
  },
  {
    password: 'builder',
    user: { id: 'u-bob', username: 'bob', name: 'Bob', email: 'bob@example.com', role: 'member' },
  },
] as const satisfies readonly DemoAccount[]

/** Derives a password hash; injectable so tests can count calls. */
export type PasswordHasher = (password: string, salt: Buffer) => Promise<Buffer>

const KEY_LENGTH = 32

/** scrypt with N = 2^14, r = 8, p = 1 (the OWASP Password Storage Cheat Sheet's minimum). */
export const scryptHasher: PasswordHasher = (password, salt) =>
  new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, { N: 2 ** 14, r: 8, p: 1 }, (error, key) =>
      error ? reject(error) : resolve(key),
    )
  })

/** Checks credentials against the accounts. */
export interface UserDirectory {
  /** The user, or `null` for an unknown username or a wrong password (indistinguishable). */
  authenticate(credentials: Credentials): Promise<DemoUser | null>
  /** The user with this id (for `GET /api/me`). */
  find(id: string): DemoUser | undefined
  /** Every user: the accounts in their order, then those signed in through the provider. */
  list(): DemoUser[]
  /**
   * Keeps a user the OpenID provider signed in (`idp-login.ts`), so that `GET /api/me` and the
   * security console know them. In memory: after a restart, a provider user's sessions are listed
   * again once they sign in. Never replaces an account.
   */
  remember(user: DemoUser): DemoUser
}

interface Entry {
  user: DemoUser
  salt: Buffer
  hash: Buffer
}

/**
 * Hashes every account's password (and one dummy) once, then answers `authenticate` with
 * exactly one hash per attempt.
 *
 * @example
 * ```ts
 * const users = await createUserDirectory()
 * const bff = createBff({ authenticate: (credentials) => users.authenticate(credentials) })
 * ```
 */
export async function createUserDirectory(
  accounts: readonly DemoAccount[] = DEMO_ACCOUNTS,
  hash: PasswordHasher = scryptHasher,
): Promise<UserDirectory> {
  const entries = new Map<string, Entry>()
  for (const { password, user } of accounts) {
    const salt = randomBytes(16)
    entries.set(user.username.toLowerCase(), { user, salt, hash: await hash(password, salt) })
  }
  // Unknown usernames are checked against this, so they cost what a wrong password costs.
  const dummySalt = randomBytes(16)
  const dummy: Entry = {
    user: { id: '', username: '', name: '', email: '', role: 'member' },
    salt: dummySalt,
    hash: await hash(randomBytes(16).toString('hex'), dummySalt),
  }
  const byId = new Map<string, DemoUser>(
    [...entries.values()].map((entry) => [entry.user.id, entry.user]),
  )
  const accountIds = new Set(byId.keys())

  return {
    async authenticate({ username, password }) {
      const entry = entries.get(username.trim().toLowerCase())
      const candidate = await hash(password, (entry ?? dummy).salt)
      const matches = timingSafeEqual(candidate, (entry ?? dummy).hash)
      return entry && matches ? entry.user : null
    },
    find: (id) => byId.get(id),
    list: () => [...byId.values()],
    remember(user) {
      const known = byId.get(user.id)
      if (known && accountIds.has(user.id)) return known
      byId.set(user.id, user)
      return user
    },
  }
}
