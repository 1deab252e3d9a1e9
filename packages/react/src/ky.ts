/**
 * @module
 * `@baton/react/ky`: `@baton/client/ky` re-exported, so an app that calls its API through ky still
 * installs only `@baton/react` (plus `ky` itself, an optional peer). An app that does not import
 * this subpath never ships ky.
 */
export { HTTPError, TimeoutError, createKy } from '@baton/client/ky'
export type { KyOptions } from '@baton/client/ky'
