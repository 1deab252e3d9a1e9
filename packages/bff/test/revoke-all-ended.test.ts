/**
 * Sessions ended by `bff.admin.revokeAll()` (created before the revocation epoch) are over
 * everywhere: for refresh, step-up, the devices list and `requireAuth`, and also for the logout
 * route, `DELETE /sessions/:id` and `bff.admin`. Before, those treated them as live: the old cookie
 * of a breach could sign the user out of every session started since, and admin calls reported
 * sessions they did not end.
 */
import { describe, expect, it } from 'vitest'
import { ALICE, createHarness, expectError, SECOND } from './helpers.js'

describe('a session ended by revokeAll()', () => {
  it('cannot sign its user out everywhere with its old cookie (logout { everywhere: true })', async () => {
    const h = await createHarness()
    const old = await h.login('alice')
    await h.bff.admin.revokeAll()
    // The old session is over: refresh says so.
    await expectError(await h.refresh(old.cookie), 401, 'session_revoked')
    h.clock.advance(2 * SECOND)
    const fresh = await h.login('alice')
    h.events.length = 0

    const res = await h.logout(old.cookie, { everywhere: true })
    expect(res.status).toBe(204)

    // A cookie of a session that is over must end nothing, the user's other sessions included.
    expect(h.events.filter((e) => e.type === 'logout' || e.type === 'revoked')).toStrictEqual([])
    expect((await h.store.get(fresh.body.sessionId))?.revokedAt).toBeNull()
    expect((await h.refresh(fresh.cookie)).status).toBe(200)
  })

  it('emits no logout event for a plain logout with its old cookie', async () => {
    const h = await createHarness()
    const old = await h.login('alice')
    await h.bff.admin.revokeAll()
    h.events.length = 0
    const res = await h.logout(old.cookie)
    expect(res.status).toBe(204)
    expect(h.eventsOf('logout')).toStrictEqual([])
  })

  it('is not one of the caller’s live sessions for DELETE /sessions/:id (404, no revoked event)', async () => {
    const h = await createHarness()
    const old = await h.login('alice')
    await h.bff.admin.revokeAll()
    h.clock.advance(2 * SECOND)
    const fresh = await h.login('alice')
    // The devices list does not show it...
    const list = (await (await h.listSessions(fresh.body.accessToken)).json()) as {
      sessions: { id: string }[]
    }
    expect(list.sessions.map((s) => s.id)).toStrictEqual([fresh.body.sessionId])
    h.events.length = 0
    // ...so deleting it is deleting "not one of the caller's live sessions": 404 not_found.
    const res = await h.deleteSession(fresh.body.accessToken, old.body.sessionId)
    expect(res.status).toBe(404)
    await expectError(res, 404, 'not_found')
    expect(h.eventsOf('revoked')).toStrictEqual([])
    expect(await h.bff.admin.listUserSessions(ALICE.id)).toHaveLength(1)
  })
})

describe('bff.admin after revokeAll()', () => {
  it('revokeUser() reports (and emits revoked for) no session revokeAll() already ended', async () => {
    const h = await createHarness()
    await h.login('alice')
    await h.bff.admin.revokeAll()
    expect(await h.bff.admin.listUserSessions(ALICE.id)).toStrictEqual([])
    h.events.length = 0
    // "Ends every live session of userId … @returns the ids of the sessions it ended"
    expect(await h.bff.admin.revokeUser(ALICE.id)).toStrictEqual([])
    expect(h.eventsOf('revoked')).toStrictEqual([])
  })

  it('revokeSession() answers false for a session revokeAll() already ended', async () => {
    const h = await createHarness()
    const old = await h.login('alice')
    await h.bff.admin.revokeAll()
    h.events.length = 0
    expect(await h.bff.admin.revokeSession(old.body.sessionId)).toBe(false)
    expect(h.eventsOf('revoked')).toStrictEqual([])
  })
})
