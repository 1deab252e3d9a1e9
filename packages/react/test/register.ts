/**
 * The React tests' user type, declared once as an app declares its own: every hook, and the
 * clients `test/browser.ts` creates, are typed with it. It lives in a file of the package's
 * program (tsconfig `include`), so `tsc` and `vitest --typecheck` both see it.
 */
import type { SessionUser } from '@baton/react'

/** The users of the test BFF (`test/bff.ts`). */
export interface TestUser extends SessionUser {
  name: string
}

declare module '@baton/react' {
  interface Register {
    user: TestUser
  }
}
