import type { SessionUser } from '@baton/react'

/** The user as the demo BFF puts it in the session (see server/users.ts). */
export interface User extends SessionUser {
  username: string
  name: string
  email: string
}
