/**
 * @module
 * The demo server's programmatic surface, for the e2e suite and scripts.
 */
export { createDemoApp, CONTENT_SECURITY_POLICY, DEMO_DIST_DIR } from './app.js'
export type { DemoApp, DemoAppOptions } from './app.js'
export { ConfigError, loadConfig } from './config.js'
export type { DemoConfig, DemoMode, Env, StoreConfig } from './config.js'
export { startDemoServer } from './start.js'
export { IDP_ACCOUNT } from './idp.js'
export { idpFromEnv, type IdpSetting } from './idp-login.js'
export type { DemoServer, StartDemoServerOptions } from './start.js'
export { DEMO_ACCOUNTS, createUserDirectory } from './users.js'
export type { DemoAccount, DemoUser, UserDirectory } from './users.js'
