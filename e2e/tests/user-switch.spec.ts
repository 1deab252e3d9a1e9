/**
 * A user switch adopted directly: the cookie is now Bob's (signed in beside this tab, without the
 * tabs' channel telling it), and the tab's next refresh grants Bob. The tab goes from Alice to Bob
 * without being signed out in between, so nothing unmounts the page: it must not keep showing
 * Alice's notes under Bob's name.
 */
import { expect, sessionStatus, test, USERS } from '../fixtures.js'

test('a tab that adopts another user shows that user’s notes, not the previous one’s', async ({
  signedInTabs,
  demo,
}) => {
  const [tab] = await signedInTabs(1)
  const notes = tab.getByRole('list', { name: 'Notes' })
  await tab.getByPlaceholder('Write a note…').fill('Alice’s private note')
  await tab.getByRole('button', { name: 'Add note', exact: true }).click()
  await expect(notes).toContainText('Alice’s private note')

  // Bob signs in with this browser's cookie jar, outside the app (no message on the channel).
  const status = await tab.evaluate(
    async ({ username, password }) =>
      (
        await fetch('/auth/login', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf': '1' },
          body: JSON.stringify({ username, password }),
        })
      ).status,
    { username: USERS.bob.username, password: USERS.bob.password },
  )
  expect(status).toBe(200)

  // The next scheduled refresh (3 s tokens) answers for Bob's cookie.
  await expect(sessionStatus(tab)).toHaveText(`Signed in as ${USERS.bob.name}`, { timeout: 15_000 })
  expect(demo.eventsOf('login').map((event) => event.userId)).toEqual(['u-alice', 'u-bob'])
  // Before: the page stayed mounted and the notes card still listed Alice's note.
  await expect(tab.getByText('No notes yet.')).toBeVisible()
  await expect(tab.getByText('Alice’s private note')).toHaveCount(0)
})
