/**
 * @module
 * Code that runs inside the tabs, next to the demo: a recorder of what the user saw (installed
 * before the app's own scripts) and a loop that presses "Call API" on a schedule. Both only read
 * the DOM and press buttons, as a user would; the app exposes nothing to the tests.
 *
 * The functions passed to `addInitScript` and `page.evaluate` are serialised into the page, so
 * each one is self-contained: no imports, no outer variables.
 */
import type { Page } from '@playwright/test'

/** One text the "Session status" region or an alert showed, and when (epoch ms). */
export interface Seen {
  text: string
  at: number
}

/** What a tab showed since its document was created. */
export interface PageRecord {
  /** Every distinct text of the "Session status" region, in order. */
  statuses: Seen[]
  /** Every `role=alert` text as it appeared. */
  alerts: Seen[]
  /** When the login form first rendered, or `null` if it never did. */
  loginFormAt: number | null
}

/** The outcome of one "Call API" press. */
export interface CallResult {
  /** Epoch ms of the press. */
  at: number
  /** "1 of 1 succeeded", "0 of 1 succeeded"; `null` if the dashboard went away meanwhile. */
  summary: string | null
  /** The failure's `name: message` (or the success detail), as the demo prints it. */
  detail: string | null
}

interface CallLoop {
  stop: boolean
  /** Grows as presses complete. */
  results: CallResult[]
  done: Promise<CallResult[]>
}

declare global {
  interface Window {
    __batonE2eRecord?: PageRecord
    __batonE2eLoop?: CallLoop
  }
}

/**
 * Init script: records every change of the session status, every alert and the first render of
 * the login form, with timestamps, from the moment the document exists. A MutationObserver sees
 * every DOM commit, so even a one-frame flash of the login page is caught.
 */
export function installPageRecorder(): void {
  const record: PageRecord = { statuses: [], alerts: [], loginFormAt: null }
  window.__batonE2eRecord = record
  let shownAlerts = new Set<string>()
  const check = () => {
    const now = Date.now()
    const status = document.querySelector('[role="status"][aria-label="Session status"]')
    const text = status?.textContent?.trim() ?? null
    if (text !== null && record.statuses.at(-1)?.text !== text) {
      record.statuses.push({ text, at: now })
    }
    if (record.loginFormAt === null && document.querySelector('input[name="username"]')) {
      record.loginFormAt = now
    }
    const alerts = new Set(
      [...document.querySelectorAll('[role="alert"]')].map((alert) => alert.textContent.trim()),
    )
    for (const alert of alerts) {
      if (!shownAlerts.has(alert)) record.alerts.push({ text: alert, at: now })
    }
    shownAlerts = alerts
  }
  new MutationObserver(check).observe(document, {
    subtree: true,
    childList: true,
    characterData: true,
  })
}

/** What the recorder in `page` has seen so far. */
export async function pageRecord(page: Page): Promise<PageRecord> {
  const record = await page.evaluate(() => window.__batonE2eRecord)
  if (!record) throw new Error(`No recorder in ${page.url()}: was the page opened by the fixture?`)
  return record
}

/** When `page`'s session status last started showing `text` (epoch ms, the browser's clock). */
export async function statusShownAt(page: Page, text: string): Promise<number> {
  const seen = (await pageRecord(page)).statuses.findLast((status) => status.text === text)
  if (!seen) throw new Error(`${page.url()} never showed "${text}"`)
  return seen.at
}

/**
 * The session statuses `page` showed since it loaded, without the splash's "Checking your
 * session…" at their start: the demo starts its client before React's first render, so a tab
 * whose token a signed-in peer hands over in time renders signed in at once, with no splash
 * (issue 18); one that refreshes shows it until the grant. Either is right; what follows is what
 * the tests pin.
 */
export async function statusesAfterSplash(page: Page): Promise<string[]> {
  const statuses = (await pageRecord(page)).statuses.map(({ text }) => text)
  return statuses[0] === 'Checking your session…' ? statuses.slice(1) : statuses
}

/**
 * The session statuses `page` showed from its first "Signed in as …" on, e.g.
 * `['Signed in as Alice']` for a tab that never left the session.
 */
export async function statusesSinceSignIn(page: Page): Promise<string[]> {
  const statuses = (await pageRecord(page)).statuses.map(({ text }) => text)
  const signedIn = statuses.findIndex((text) => text.startsWith('Signed in as '))
  return signedIn === -1 ? [] : statuses.slice(signedIn)
}

/**
 * Starts pressing "Call API" every `intervalMs` (press to press; a call that takes longer delays
 * the next press, since the button is disabled while its call runs). Resolves once the loop runs.
 */
export async function startCallingApi(page: Page, intervalMs: number): Promise<void> {
  await page.evaluate((interval) => {
    const button = [...document.querySelectorAll('button')].find(
      (candidate) => candidate.textContent.trim() === 'Call API',
    )
    if (!button) throw new Error('No "Call API" button on this page.')
    // Presses once and resolves when the call is over. The demo disables the button while its
    // call runs and enables it in the commit that shows the result. Attribute records keep both
    // changes even when they land before the observer runs (a call refused without a request).
    const pressOnce = () =>
      new Promise<void>((resolve) => {
        let running = false
        const observer = new MutationObserver((records) => {
          for (const { target, oldValue } of records) {
            if (target !== button) continue
            if (oldValue === null) running = true
            else if (running) {
              observer.disconnect()
              return resolve()
            }
          }
          // The dashboard is gone (signed out): no result will come.
          if (!button.isConnected) {
            observer.disconnect()
            resolve()
          }
        })
        observer.observe(document, {
          subtree: true,
          childList: true,
          attributeFilter: ['disabled'],
          attributeOldValue: true,
        })
        button.click()
      })
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

    const results: CallResult[] = []
    const loop: CallLoop = { stop: false, results, done: Promise.resolve(results) }
    loop.done = (async () => {
      while (!loop.stop && button.isConnected) {
        const at = Date.now()
        await pressOnce()
        const region = button.isConnected
          ? document.querySelector('[role="status"][aria-label="API result"]')
          : null
        results.push({
          at,
          summary: region?.querySelector('strong')?.textContent ?? null,
          detail: region?.querySelector('.result-detail')?.textContent ?? null,
        })
        await sleep(Math.max(0, interval - (Date.now() - at)))
      }
      return results
    })()
    window.__batonE2eLoop = loop
  }, intervalMs)
}

/** The presses of the loop of {@link startCallingApi} completed so far. */
export async function callResults(page: Page): Promise<CallResult[]> {
  return page.evaluate(() => window.__batonE2eLoop?.results ?? [])
}

/** Stops the loop of {@link startCallingApi} after its current call and returns every result. */
export async function stopCallingApi(page: Page): Promise<CallResult[]> {
  return page.evaluate(async () => {
    const loop = window.__batonE2eLoop
    if (!loop) throw new Error('No "Call API" loop runs on this page.')
    loop.stop = true
    return loop.done
  })
}
