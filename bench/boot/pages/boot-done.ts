/**
 * @module
 * What a boot page logs once its `bootResult` is complete: the runner waits for this console
 * message instead of evaluating anything in the page while it boots (see `openUntilLogged` in
 * `browser.ts`).
 */
export const BOOT_DONE = 'baton-boot-done'

/** What a floor probe page logs once its `floorMs` is set (`floor.ts`). */
export const FLOOR_DONE = 'baton-floor-done'
