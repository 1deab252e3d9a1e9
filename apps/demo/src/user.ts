/**
 * @module
 * The demo's user type, declared once for every `@baton/react` hook: `useSession().user`,
 * `useSessionState((state) => state.user)` and `useBatonClient()` are typed with it, and
 * `<SessionProvider>` checks the client against it.
 */
import type { BaseUser } from '@baton/react'

/** The user as the demo BFF puts it in the session (see server/users.ts). */
export interface User extends BaseUser {
  username: string
  name: string
  email: string
  /** `admin` opens the security console (`/admin`). */
  role: 'admin' | 'member'
}

declare module '@baton/react' {
  interface Register {
    user: User
  }
}
