/**
 * Second factors in real Chromium (issue 17): a passkey registered on the sign-in methods page
 * with the DevTools virtual authenticator, then used to sign in with no password and to answer
 * the step-up of the sensitive transfer; an authenticator app (TOTP) enrolled with codes computed
 * here, then asked for at sign-in, a replayed code refused; a recovery code that works once.
 */
import type { Page } from '@playwright/test'
import { expect, openTab, press, sessionStatus, signIn, test, USERS } from '../fixtures.js'
import { outcomes, type Traffic } from '../traffic.js'
import { addVirtualAuthenticator, nextTotp, onLocalhost, totp, wrongTotp } from '../mfa.js'

const MAX_AGE_S = 4
const WRONG_CODE = 'The code is wrong, expired or already used.'

/** Goes to the sign-in methods page through the navigation. */
async function openSecurity(page: Page) {
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: 'Sign-in methods' })
    .click()
  await expect(page.getByRole('heading', { name: 'Sign-in methods', level: 1 })).toBeVisible()
}

async function signOut(page: Page) {
  await press(page, 'Sign out')
  await expect(sessionStatus(page)).toHaveText('Signed out')
}

/** Username and password, up to the second step. */
async function passwordStep(page: Page) {
  await page.getByLabel('Username').fill(USERS.alice.username)
  await page.getByLabel('Password').fill(USERS.alice.password)
  await page.getByRole('button', { name: 'Sign in', exact: true }).click()
  await expect(page.getByRole('heading', { name: 'Two-step verification' })).toBeVisible()
}

test.describe('passkeys', () => {
  test.use({
    demoEnv: {
      BATON_STEP_UP_MAX_AGE: `${MAX_AGE_S}s`,
      // No scheduled refresh during the scenario: every refresh would be one a step-up caused.
      BATON_ACCESS_TTL: '60s',
    },
  })

  test('register a passkey, sign in with it alone, step up with it', async ({
    context,
    demo,
    traffic,
  }) => {
    const page = await openTab(context, onLocalhost(demo.url))
    const credentials = await addVirtualAuthenticator(page)
    await signIn(page)
    await openSecurity(page)

    // Adding a factor wants a sign-in from the last few seconds: with an older one the step-up
    // dialog asks for the password first, then the registration goes on.
    await page.waitForTimeout(MAX_AGE_S * 1000 + 1_100)
    await press(page, 'Add a passkey')
    const dialog = page.getByRole('dialog', { name: 'Confirm it’s you' })
    await expect(dialog).toBeVisible()
    // No factor yet: the password is all it can offer.
    await expect(dialog.getByRole('button', { name: 'Use a passkey' })).toHaveCount(0)
    await dialog.getByLabel('Password').fill(USERS.alice.password)
    await dialog.getByRole('button', { name: 'Confirm' }).click()
    const factorList = page.getByRole('list', { name: 'Second factors' })
    await expect(factorList.getByRole('listitem')).toHaveCount(1)
    await expect(factorList).toContainText('Passkey')
    await expect(factorList).toContainText('This device only')
    expect(await credentials()).toHaveLength(1)
    expect(demo.eventsOf('factor_added').map((event) => event.method)).toEqual(['passkey'])

    // The devices page lists it beside the sessions.
    await page.getByRole('link', { name: 'Devices' }).click()
    await expect(page.getByRole('list', { name: 'Passkeys' }).getByRole('listitem')).toHaveCount(1)

    // Passwordless: no username, no password, the authenticator names the user.
    await signOut(page)
    const signedInAt = Date.now()
    await press(page, 'Sign in with a passkey')
    await expect(sessionStatus(page)).toHaveText(`Signed in as ${USERS.alice.name}`)
    expect(outcomes(traffic.of('/auth/login/passkey/options', { since: signedInAt }))).toEqual([
      200,
    ])
    expect(outcomes(traffic.of('/auth/login/passkey', { since: signedInAt }))).toEqual([200])
    expect(traffic.of('/auth/login', { since: signedInAt })).toEqual([])

    // The transfer wants a sign-in younger than MAX_AGE_S: a passkey touch answers it.
    await page.getByRole('link', { name: 'Dashboard' }).click()
    await page.waitForTimeout(MAX_AGE_S * 1000 + 1_100)
    const startedAt = Date.now()
    await press(page, 'Send 100 credits')
    await expect(dialog).toBeVisible()
    await dialog.getByRole('button', { name: 'Use a passkey' }).click()
    await expect(page.getByRole('status', { name: 'Transfer result' })).toHaveText(
      /^Sent 100 credits at /,
    )
    await expect(dialog).toBeHidden()
    expect(outcomes(traffic.of('/api/transfer', { since: startedAt }))).toEqual([401, 200])
    expect(
      outcomes(traffic.of('/auth/reauthenticate/passkey/options', { since: startedAt })),
    ).toEqual([200])
    // One answer, by the passkey: no password was asked for.
    expect(outcomes(traffic.of('/auth/reauthenticate', { since: startedAt }))).toEqual([200])
    expect(traffic.refreshes({ since: startedAt })).toEqual([])
    expect(demo.eventsOf('mfa_failed')).toEqual([])
  })
})

test.describe('authenticator app and recovery codes', () => {
  /** Alice signed in with a confirmed authenticator app: its secret and her recovery codes. */
  async function enrolTotp(page: Page, traffic: Traffic) {
    await signIn(page)
    await openSecurity(page)
    await press(page, 'Set up an authenticator app')
    await expect(
      page.getByRole('img', { name: 'QR code for your authenticator app' }),
    ).toBeVisible()
    const secret = (await page.getByLabel('Secret key').textContent()) ?? ''
    expect(secret).toMatch(/^[A-Z2-7]{32}$/)
    await expect(page.getByLabel('Setup link')).toHaveText(
      `otpauth://totp/Baton%20demo:alice%40example.com?issuer=Baton%20demo&secret=${secret}&algorithm=SHA1&digits=6&period=30`,
    )

    // A wrong first code is a refusal the page shows, not a bad token: no refresh, no retry.
    const startedAt = Date.now()
    await page.getByLabel('Code from the app').fill(wrongTotp(secret))
    await press(page, 'Confirm code')
    await expect(page.getByRole('alert')).toHaveText(WRONG_CODE)
    await page.getByLabel('Code from the app').fill(totp(secret))
    await press(page, 'Confirm code')
    const codes = page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem')
    await expect(codes).toHaveCount(10)
    const recoveryCodes = await codes.allTextContents()
    const confirm = traffic.requests.filter(
      (request) => request.at >= startedAt && request.path.endsWith('/confirm'),
    )
    expect(outcomes(confirm)).toEqual([403, 200])
    expect(traffic.refreshes({ since: startedAt })).toEqual([])

    await press(page, 'I saved them')
    await expect(codes).toHaveCount(0)
    const factorList = page.getByRole('list', { name: 'Second factors' })
    await expect(factorList).toContainText('Authenticator app')
    await expect(page.getByText('10 unused.')).toBeVisible()
    return { secret, recoveryCodes }
  }

  test('an authenticator app is asked for at sign-in, and a replayed code is refused', async ({
    tabs,
    demo,
    traffic,
  }) => {
    const [page] = await tabs(1)
    const { secret, recoveryCodes } = await enrolTotp(page, traffic)

    await signOut(page)
    await passwordStep(page)
    expect(demo.eventsOf('mfa_challenged')).toHaveLength(1)
    // The confirming code spent the current time step: the next one signs in.
    const code = nextTotp(secret)
    await page.getByLabel('Authentication code').fill(code)
    await press(page, 'Verify')
    await expect(sessionStatus(page)).toHaveText(`Signed in as ${USERS.alice.name}`)

    // The same code again, on the next sign-in: refused, and the second step stays.
    await signOut(page)
    await passwordStep(page)
    await page.getByLabel('Authentication code').fill(code)
    await press(page, 'Verify')
    await expect(page.getByRole('alert')).toHaveText(WRONG_CODE)
    await expect(sessionStatus(page)).toHaveText('Signed out')
    expect(demo.eventsOf('mfa_failed').map(({ method, reason }) => ({ method, reason }))).toEqual([
      { method: 'totp', reason: 'invalid' },
    ])
    // The ticket is still good for a right answer.
    await press(page, 'Use a recovery code')
    await page.getByLabel('Recovery code').fill(recoveryCodes[0]!)
    await press(page, 'Verify')
    await expect(sessionStatus(page)).toHaveText(`Signed in as ${USERS.alice.name}`)
  })

  test('removing the authenticator app asks for one of its codes, never the password', async ({
    tabs,
    demo,
    traffic,
  }) => {
    const [page] = await tabs(1)
    const { secret } = await enrolTotp(page, traffic)
    const [factor] = demo.eventsOf('factor_added')

    // The session signed in with the password alone: to change the factors of an account that
    // has one, the BFF asks for a proof of one (acr_values="mfa"), which no password gives.
    const startedAt = Date.now()
    await press(page, 'Remove')
    const dialog = page.getByRole('dialog', { name: 'Confirm it’s you' })
    await expect(dialog).toBeVisible()
    await expect(dialog.getByLabel('Password')).toHaveCount(0)
    await expect(dialog.getByRole('button', { name: 'Use your password' })).toHaveCount(0)
    await dialog.getByLabel('Authentication code').fill(nextTotp(secret))
    await dialog.getByRole('button', { name: 'Confirm' }).click()
    await expect(dialog).toBeHidden()
    await expect(page.getByText('None yet: your password alone signs you in.')).toBeVisible()
    expect(outcomes(traffic.of(`/auth/factors/${factor!.factorId}`, { since: startedAt }))).toEqual(
      [401, 204],
    )
    expect(outcomes(traffic.of('/auth/reauthenticate', { since: startedAt }))).toEqual([200])
    expect(demo.eventsOf('factor_removed').map((event) => event.method)).toEqual(['totp'])
  })

  test('a recovery code signs in once', async ({ tabs, demo, traffic }) => {
    const [page] = await tabs(1)
    const { recoveryCodes } = await enrolTotp(page, traffic)
    const [first, second] = recoveryCodes

    await signOut(page)
    await passwordStep(page)
    await press(page, 'Use a recovery code')
    await page.getByLabel('Recovery code').fill(first!)
    await press(page, 'Verify')
    await expect(sessionStatus(page)).toHaveText(`Signed in as ${USERS.alice.name}`)

    await signOut(page)
    await passwordStep(page)
    await press(page, 'Use a recovery code')
    await page.getByLabel('Recovery code').fill(first!)
    await press(page, 'Verify')
    await expect(page.getByRole('alert')).toHaveText(WRONG_CODE)
    await expect(sessionStatus(page)).toHaveText('Signed out')
    await page.getByLabel('Recovery code').fill(second!)
    await press(page, 'Verify')
    await expect(sessionStatus(page)).toHaveText(`Signed in as ${USERS.alice.name}`)

    await openSecurity(page)
    await expect(page.getByText('8 unused.')).toBeVisible()
    expect(demo.eventsOf('login')).toHaveLength(3)
  })
})
