// @vitest-environment node
/**
 * The user type of an app that does not register one. README ("Quick start:
 * @baton/client"): "The user type may be an `interface` with a string `id` (`BaseUser`); the index
 * signature of `SessionUser` is only its default"; `useBatonClient`'s TSDoc: "an explicit
 * `useBatonClient<User>()` (an app that does not register) is the caller's word". This package's
 * own type-check registers a user (test/register.ts) for the whole program, so the unregistered
 * app is compiled on its own here, with the package's compiler options.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

const packageDir = fileURLToPath(new URL('..', import.meta.url))

it('an app without Register gives <SessionProvider> a client of its interface user type', async () => {
  // Inside the package, so '@baton/react' resolves to its sources as in the other type tests.
  const dir = mkdtempSync(join(packageDir, 'test', '.unregistered-'))
  try {
    writeFileSync(
      join(dir, 'app.tsx'),
      `import { SessionProvider, createSessionClient, useSession } from '@baton/react'
interface Member {
  id: string
  email: string
}
const baton = createSessionClient<Member>()
export const app = <SessionProvider client={baton} />
export const Email = () => <p>{useSession<Member>().user?.email}</p>
`,
    )
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: '../../tsconfig.json',
        compilerOptions: { noEmit: true, customConditions: ['@baton/source'] },
        include: ['app.tsx'],
      }),
    )
    const tsc = createRequire(join(packageDir, '..', '..', 'package.json')).resolve(
      'typescript/bin/tsc',
    )
    const output = await new Promise<string>((resolve) =>
      execFile(process.execPath, [tsc, '-p', dir], (_error, stdout, stderr) =>
        resolve(`${stdout}${stderr}`),
      ),
    )
    // It used to fail with TS2322 'SessionClient<Member>' is not assignable to
    // 'SessionClient<SessionUser>' (index signature missing in 'Member'), on the provider's
    // `client` prop.
    expect(output).toBe('')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
