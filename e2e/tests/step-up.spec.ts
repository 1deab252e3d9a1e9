/**
 * Step-up authentication (RFC 9470, issue 13 item 3) in real Chromium: a sensitive request made
 * with a sign-in older than the route's `maxAge` is answered with the challenge, the app asks for
 * the password, and the original request completes once it is confirmed; the other tab gets the
 * new grant from this one, with no refresh of its own.
 */
import { expect, press, USERS, test } from '../fixtures.js'
import { outcomes } from '../traffic.js'

const MAX_AGE_S = 4

test.use({
  demoEnv: {
    BATON_STEP_UP_MAX_AGE: `${MAX_AGE_S}s`,
    // Long-lived tokens: no scheduled refresh can happen during the scenario, so any refresh
    // would be one the step-up caused.
    BATON_ACCESS_TTL: '60s',
  },
})

test('an old sign-in meets the step-up dialog, and the request completes after the password', async ({
  signedInTabs,
  demo,
  traffic,
}) => {
  const [a, b] = await signedInTabs(2)
  // Let the sign-in age past the sensitive route's maxAge.
  await a.waitForTimeout(MAX_AGE_S * 1000 + 1_100)
  const startedAt = Date.now()

  await press(a, 'Send 100 credits')
  const dialog = a.getByRole('dialog', { name: 'Confirm it’s you' })
  await expect(dialog).toBeVisible()
  await expect(dialog).toContainText(`a sign-in from the last ${MAX_AGE_S} seconds`)
  // The request is waiting, not failed.
  await expect(a.getByRole('button', { name: 'Sending…' })).toBeDisabled()

  // A wrong password keeps the dialog (and the request) waiting.
  await dialog.getByLabel('Password').fill('not-the-password')
  await dialog.getByRole('button', { name: 'Confirm' }).click()
  await expect(dialog.getByRole('alert')).toHaveText('That password is incorrect.')
  await expect(dialog).toBeVisible()

  await dialog.getByLabel('Password').fill(USERS.alice.password)
  await dialog.getByRole('button', { name: 'Confirm' }).click()
  await expect(a.getByRole('status', { name: 'Transfer result' })).toHaveText(
    /^Sent 100 credits at /,
  )
  await expect(dialog).toBeHidden()

  // The transfer went out twice: refused with the challenge, then retried once and accepted.
  expect(outcomes(traffic.of('/api/transfer', { since: startedAt }))).toEqual([401, 200])
  expect(outcomes(traffic.of('/auth/reauthenticate', { since: startedAt }))).toEqual([401, 200])
  // No refresh anywhere: the challenge is no refresh trigger, and tab B got A's grant.
  expect(traffic.refreshes({ since: startedAt })).toEqual([])
  await expect(b.getByRole('table', { name: 'Session events' })).toContainText(
    'New access token received',
  )
  expect(traffic.refreshes({ page: b })).toEqual([])
  expect(demo.refreshRequests()).toEqual([])

  // B's new token carries the fresh sign-in: its own transfer needs no password.
  await press(b, 'Send 100 credits')
  await expect(b.getByRole('status', { name: 'Transfer result' })).toHaveText(
    /^Sent 100 credits at /,
  )
  await expect(b.getByRole('dialog', { name: 'Confirm it’s you' })).toBeHidden()
})
