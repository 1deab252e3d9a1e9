/**
 * The security console (issue 13, item 5): an administrator watches every user's audit events
 * arrive live over SSE; a member is refused the stream.
 */
import { expect, openTab, sessionStatus, signIn, test, USERS } from '../fixtures.js'

test('alice sees bob’s sign-in and a wrong password appear live in the security console', async ({
  signedInTabs,
  newDevice,
  demo,
}) => {
  const [admin] = await signedInTabs(1)
  await admin.getByRole('link', { name: 'Security' }).click()
  await expect(admin).toHaveURL(`${demo.url}/admin`)
  await expect(admin.getByRole('status', { name: 'Stream status' })).toHaveText('Live')
  const audit = admin.getByRole('table', { name: 'Audit events' })
  await expect(audit.locator('tr[data-event="login"][data-user="u-alice"]')).toHaveCount(1)

  // Another device: a wrong password for bob, then bob signs in.
  const device = await newDevice()
  const bob = await openTab(device, new URL('/login', demo.url).href)
  await bob.getByLabel('Username').fill('bob')
  await bob.getByLabel('Password').fill('not-his-password')
  await bob.getByRole('button', { name: 'Sign in', exact: true }).click()
  await expect(bob.getByRole('alert')).toBeVisible()
  await signIn(bob, 'bob')

  // No reload of the console: the events come down the stream.
  await expect(audit.locator('tr[data-event="login_failed"]')).toHaveCount(1)
  await expect(audit.locator('tr[data-event="login"][data-user="u-bob"]')).toHaveCount(1)
  await expect(admin.locator('[data-stat="failed"] .stat-value')).toHaveText('1')
  // And bob's session is listed, with a button that ends it.
  const sessions = admin.getByRole('list', { name: 'Active sessions per user' })
  await expect(sessions.locator('[data-user="bob"] .count')).toHaveText('1')
  await sessions
    .locator('[data-user="bob"]')
    .getByRole('button', { name: /^Revoke session/ })
    .click()
  await expect(audit.locator('tr[data-event="revoked"][data-user="u-bob"]')).toHaveCount(1)
  await expect(sessions.locator('[data-user="bob"] .count')).toHaveText('0')
  expect(demo.eventsOf('revoked').map((event) => [event.userId, event.reason])).toEqual([
    ['u-bob', 'revoked'],
  ])
  // Alice's own session is untouched.
  await expect(sessionStatus(admin)).toHaveText(`Signed in as ${USERS.alice.name}`)
})

test('a member gets 403 from the event stream, and no console', async ({ tabs, demo, request }) => {
  const login = await request.post(`${demo.url}/auth/login`, {
    headers: { 'x-csrf': '1', origin: demo.url },
    data: { username: USERS.bob.username, password: USERS.bob.password },
  })
  expect(login.status()).toBe(200)
  const { accessToken } = (await login.json()) as { accessToken: string }
  const stream = await request.get(`${demo.url}/api/admin/events`, {
    headers: { authorization: `Bearer ${accessToken}` },
  })
  expect(stream.status()).toBe(403)
  expect(stream.headers()['content-type']).toMatch(/^application\/json/)
  expect(((await stream.json()) as { error: { code: string } }).error.code).toBe('forbidden')

  // In the app, bob has no link to the console, and the page itself says no.
  const [page] = await tabs(1, '/login')
  await signIn(page, 'bob')
  await expect(page.getByRole('link', { name: 'Security' })).toHaveCount(0)
  await page.goto(`${demo.url}/admin`)
  await expect(page.getByRole('alert')).toHaveText('The security console is for administrators.')
})
