/**
 * The SQLite store's reason to exist: sessions survive a restart of the process, whether it is
 * killed outright or stopped cleanly, and so do revocations: a restarted process refuses the access
 * tokens of sessions signed out before it started.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateSigningKey } from '../src/index.js'
import { login, me, post, startInstance, type Instance } from './instances.js'

describe('sqlite store across process restarts', () => {
  let dir: string
  let env: Record<string, string>
  let running: Instance | undefined

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'baton-restart-'))
    env = {
      BATON_STORE: 'sqlite',
      BATON_SQLITE_PATH: join(dir, 'sessions.db'),
      BATON_SIGNING_KEYS: JSON.stringify([await generateSigningKey('ES256')]),
    }
  })
  afterAll(async () => {
    await running?.stop('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
  })

  it('keeps sessions, rotation state and revocations across restarts', async () => {
    running = await startInstance('first', env)
    const first = await login(running, 'restart-user')
    const other = await login(running, 'restart-user')
    const refreshed = await post(running, '/refresh', { cookie: first.cookie })
    expect(refreshed.status).toBe(200)
    expect(await post(running, '/logout', { cookie: other.cookie })).toMatchObject({ status: 204 })

    // A crash: no chance to close the database. Committed transactions are in the WAL.
    await running.stop('SIGKILL')
    running = await startInstance('after a crash', env)
    const afterCrash = await post(running, '/refresh', { cookie: refreshed.tokens!.cookie })
    expect(afterCrash.status).toBe(200)
    // Access tokens verify too: the signing keys are configured, not generated at start.
    expect(await me(running, afterCrash.tokens!.accessToken)).toBe(200)
    expect(await post(running, '/refresh', { cookie: other.cookie })).toMatchObject({
      status: 401,
      code: 'session_revoked',
    })

    await running.stop('SIGTERM')
    running = await startInstance('after a clean stop', env)
    const afterStop = await post(running, '/refresh', { cookie: afterCrash.tokens!.cookie })
    expect(afterStop.status).toBe(200)
    expect(afterStop.tokens!.sessionId).toBe(first.sessionId)
    // The first cookie is two rotations old: still recognised as a reused token after restarts.
    expect(await post(running, '/refresh', { cookie: first.cookie })).toMatchObject({
      status: 401,
      code: 'refresh_token_reused',
    })
  }, 60_000)

  it('refuses after a restart the access token of a session signed out before it', async () => {
    // A file of its own: only this test's sessions are in its replay.
    const own = { ...env, BATON_SQLITE_PATH: join(dir, 'signed-out.db') }
    running = await startInstance('before the restart', own)
    const signedOut = await login(running, 'signed-out-user')
    const kept = await login(running, 'signed-out-user')
    expect(await post(running, '/logout', { cookie: signedOut.cookie })).toMatchObject({
      status: 204,
    })
    expect(await me(running, signedOut.accessToken)).toBe(401)

    await running.stop('SIGTERM')
    running = await startInstance('after the restart', own)
    // Still within its lifetime, but the new process replays the revocation from the file.
    expect(await me(running, signedOut.accessToken)).toBe(401)
    expect(await me(running, kept.accessToken)).toBe(200)
  }, 60_000)
})
