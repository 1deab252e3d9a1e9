#!/usr/bin/env node
/**
 * @module
 * The `baton-keys` executable (the package's `bin`): {@link main} on the real process. Kept apart
 * from `keys.ts` so that importing the command in a test never runs it.
 */
import { main, processIo } from './keys.js'

process.exitCode = await main(process.argv.slice(2), processIo())
