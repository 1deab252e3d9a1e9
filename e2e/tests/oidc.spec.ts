/**
 * Issue 16 in real Chromium: sign-in through the demo's own OpenID provider (`oidc-provider` on
 * its own loopback port, started with the demo server), RP-initiated logout that ends the
 * provider's session too, and back-channel logout from the provider revoking the Baton session.
 */
import type { Page } from '@playwright/test'
import { IDP_ACCOUNT } from '@baton/demo/server'
import { expect, openTab, press, sessionStatus, test, type Tabs } from '../fixtures.js'

/** The demo provider's sign-in, from the app's login page to the app signed in as Carol. */
async function signInAtIdp(page: Page, idpUrl: string, password: string = IDP_ACCOUNT.password) {
  await press(page, 'Sign in with Demo IdP')
  await expect(page).toHaveURL(new RegExp(`^${idpUrl}/interaction/`))
  await page.getByLabel('Username').fill(IDP_ACCOUNT.username)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in', exact: true }).click()
}

/** One tab signed in as Carol through the provider; the tab and the provider's URL. */
async function carolSignedIn(tabs: Tabs, idpUrl: string) {
  const [a] = await tabs(1, '/login')
  await signInAtIdp(a, idpUrl)
  await expect(sessionStatus(a)).toHaveText('Signed in as Carol')
  return a
}

/** The provider's session cookies (`_session` and its signature) in the browser. */
async function idpSessionCookies(page: Page, idpUrl: string) {
  const cookies = await page.context().cookies(idpUrl)
  return cookies.filter(({ name }) => name.startsWith('_session')).map(({ name }) => name)
}

test('sign in through the provider’s own page: the dashboard names the user, and a second tab is signed in without another sign-in', async ({
  context,
  tabs,
  demo,
  traffic,
}) => {
  const idpUrl = demo.server.idpUrl!
  expect(idpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
  expect(idpUrl).not.toBe(demo.url)
  const [a] = await tabs(1, '/login')

  // The provider checks the password: a wrong one is refused on its page.
  await signInAtIdp(a, idpUrl, 'not-the-password')
  await expect(a.getByRole('alert')).toHaveText('Wrong username or password.')
  await a.getByLabel('Password').fill(IDP_ACCOUNT.password)
  await a.getByRole('button', { name: 'Sign in', exact: true }).click()

  // The dashboard's first API call, once signed in: its token is bound to the page's device key.
  const apiCall = a.waitForRequest((request) => new URL(request.url()).pathname.startsWith('/api/'))
  await expect(sessionStatus(a)).toHaveText('Signed in as Carol')
  expect(new URL(a.url()).origin).toBe(demo.url)
  expect(demo.eventsOf('login')).toEqual([expect.objectContaining({ userId: 'idp:carol' })])
  const headers = (await apiCall).headers()
  expect(headers['authorization']).toMatch(/^DPoP /)
  expect(headers['dpop']).toMatch(/^ey/)
  // The provider's tokens stayed on the server: the page saw only Baton's.
  expect(demo.eventsOf('oidc_login_failed')).toEqual([])

  const b = await openTab(context, demo.url)
  await expect(sessionStatus(b)).toHaveText('Signed in as Carol')
  // Tab B asked nobody to sign in: no navigation to the provider, no login, no refresh.
  expect(traffic.of('/auth/oidc/login', { page: b })).toEqual([])
  expect(traffic.of('/auth/login', { page: b })).toEqual([])
  expect(traffic.refreshes({ page: b })).toEqual([])
  expect(demo.eventsOf('login')).toHaveLength(1)
})

test('signing out ends the provider’s session too: its cookie is gone and the next sign-in asks for the password', async ({
  tabs,
  demo,
}) => {
  const idpUrl = demo.server.idpUrl!
  const a = await carolSignedIn(tabs, idpUrl)
  expect(await idpSessionCookies(a, idpUrl)).not.toEqual([])

  await press(a, 'Sign out')
  // `logout()` went on to {base}/oidc/logout, which sent the tab to the provider's end-session page.
  await expect(a).toHaveURL(new RegExp(`^${idpUrl}/session/end`))
  await a.getByRole('button', { name: 'Sign out of Demo IdP' }).click()
  await expect(a).toHaveURL(`${demo.url}/login`)
  await expect(sessionStatus(a)).toHaveText('Signed out')
  expect(demo.eventsOf('logout')).toHaveLength(1)
  expect(await idpSessionCookies(a, idpUrl)).toEqual([])

  // Signed out at the provider as well: it asks for the password again.
  await press(a, 'Sign in with Demo IdP')
  await expect(a).toHaveURL(new RegExp(`^${idpUrl}/interaction/`))
  await expect(a.getByLabel('Password')).toBeVisible()
})

test('back-channel logout: signing out at the provider revokes the Baton session in every tab', async ({
  context,
  tabs,
  demo,
}) => {
  const idpUrl = demo.server.idpUrl!
  const a = await carolSignedIn(tabs, idpUrl)
  const b = await openTab(context, demo.url)
  await expect(sessionStatus(b)).toHaveText('Signed in as Carol')
  const [login] = demo.eventsOf('login')

  // The user ends the provider session at the provider itself (another of its apps, say).
  const idpTab = await context.newPage()
  await idpTab.goto(`${idpUrl}/session/end`)
  await idpTab.getByRole('button', { name: 'Sign out of Demo IdP' }).click()
  await expect(idpTab.getByRole('heading', { name: 'Signed out' })).toBeVisible()

  // The provider told the BFF server to server; the session is revoked in the store.
  await expect.poll(() => demo.eventsOf('provider_logout').length, { timeout: 5_000 }).toBe(1)
  expect(demo.eventsOf('provider_logout')[0]).toMatchObject({ sessionIds: [login!.sessionId] })
  expect(demo.eventsOf('revoked')).toEqual([
    expect.objectContaining({ sessionId: login!.sessionId, reason: 'provider_logout' }),
  ])
  // Both tabs end at the next refresh (3 s tokens), without a click here.
  for (const tab of [a, b]) {
    await expect(sessionStatus(tab)).toHaveText('Signed out', { timeout: 6_000 })
  }
})

test.describe('a provider user asked to step up', () => {
  const MAX_AGE_S = 4
  test.use({ demoEnv: { BATON_STEP_UP_MAX_AGE: `${MAX_AGE_S}s`, BATON_ACCESS_TTL: '60s' } })

  test('goes to the provider for a fresh sign-in (no password of theirs here), and the action then goes through', async ({
    tabs,
    demo,
  }) => {
    const idpUrl = demo.server.idpUrl!
    const a = await carolSignedIn(tabs, idpUrl)
    await a.waitForTimeout(MAX_AGE_S * 1000 + 1_100)

    await press(a, 'Send 100 credits')
    const dialog = a.getByRole('dialog', { name: 'Confirm it’s you' })
    // Before: a password field, which no password of Carol's could ever pass.
    await expect(dialog).toContainText('Sign in again at Demo IdP')
    await expect(dialog.getByLabel('Password')).toHaveCount(0)
    await dialog.getByRole('button', { name: 'Continue at Demo IdP' }).click()

    // prompt=login: the provider asks for the password although its session is alive.
    await expect(a).toHaveURL(new RegExp(`^${idpUrl}/interaction/`))
    await a.getByLabel('Username').fill(IDP_ACCOUNT.username)
    await a.getByLabel('Password').fill(IDP_ACCOUNT.password)
    await a.getByRole('button', { name: 'Sign in', exact: true }).click()
    await expect(sessionStatus(a)).toHaveText('Signed in as Carol')
    expect(new URL(a.url()).pathname).toBe('/')
    expect(demo.eventsOf('login')).toHaveLength(2)

    await press(a, 'Send 100 credits')
    await expect(a.getByRole('status', { name: 'Transfer result' })).toHaveText(
      /^Sent 100 credits at /,
    )
    await expect(a.getByRole('dialog', { name: 'Confirm it’s you' })).toBeHidden()
  })
})
