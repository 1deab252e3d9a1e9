/**
 * The shared store contract (`store-contract.ts`) against the PostgreSQL store: a schema of its own
 * per test, dropped afterwards.
 */
import { describe } from 'vitest'
import { postgresStore } from '../src/stores/postgres.js'
import { POSTGRES_URL, dropSchema, postgresAvailable, uniqueSchema } from './postgres-helpers.js'
import { describeSessionStoreContract } from './store-contract.js'
import { EXPIRED_SESSION_RETENTION_MS } from '../src/stores/types.js'

describe.skipIf(!postgresAvailable)('postgres', () => {
  describeSessionStoreContract('postgres', async () => {
    const schema = uniqueSchema()
    const store = postgresStore({ pool: POSTGRES_URL, schema, sweepInterval: 0 })
    await store.ready()
    return {
      store,
      cleanup: async () => {
        await store.close()
        await dropSchema(schema)
      },
      forgetExpired: async (now) => {
        await store.sweep(now + EXPIRED_SESSION_RETENTION_MS)
      },
    }
  })
})
