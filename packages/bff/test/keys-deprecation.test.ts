/**
 * Node 24 deprecates turning a non-extractable WebCrypto key into a `KeyObject` (DEP0204), which
 * the signer does once per key: every deployment that configured its keys as JWKs printed the
 * warning at its first sign-in. The signing path runs here under `--throw-deprecation`, in a
 * process of its own (a deprecation warns once per process, whatever ran before in this one). On
 * Node 20 and 22 the API is not deprecated; CI runs the suite on Node 24 too.
 */
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

const fixture = fileURLToPath(new URL('./fixtures/sign-strict.ts', import.meta.url))
const packageDir = fileURLToPath(new URL('..', import.meta.url))

it('signs with configured JWK, PEM and generated keys without a deprecated Node API', () => {
  const run = spawnSync(
    process.execPath,
    ['--throw-deprecation', '--import', 'tsx', '--conditions=@baton/source', fixture],
    { cwd: packageDir, encoding: 'utf8', timeout: 60_000 },
  )

  expect(run.stderr).not.toMatch(/DeprecationWarning|DEP\d{4}/)
  expect({ status: run.status, stdout: run.stdout }).toStrictEqual({ status: 0, stdout: 'ok\n' })
})
