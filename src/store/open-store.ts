import { SqlMetadataStore } from './sql-store.js'
import { PgliteDriver } from './pglite/pglite-driver.js'
import { PostgresDriver } from './postgres/postgres-driver.js'
import type { MetadataStore } from './store.js'

export interface OpenMetadataStoreOptions {
  /** The Quiver home; the embedded database lives in `<home>/db`. */
  home: string
  /** PostgreSQL URL; callers pass `process.env.QUIVER_DATABASE_URL`. Empty or absent → embedded PGlite. */
  databaseUrl?: string
  /** PostgreSQL only: schemas for unqualified names (`search_path`). */
  searchPath?: string
  /** PGlite only: how long to wait for another process holding the home (default `QUIVER_LOCK_WAIT_MS` or 10 s). */
  lockWaitMs?: number
}

/**
 * Opens the metadata store, migrated to the current schema: PostgreSQL when `databaseUrl` is
 * given, else PGlite under `<home>/db` with the home locked against other processes.
 *
 * @example
 * const store = await openMetadataStore({ home: '.quiver', databaseUrl: process.env.QUIVER_DATABASE_URL })
 * try { console.log(await store.listModels('default')) } finally { await store.close() }
 */
export async function openMetadataStore(opts: OpenMetadataStoreOptions): Promise<MetadataStore> {
  const driver = opts.databaseUrl
    ? await PostgresDriver.open({ url: opts.databaseUrl, searchPath: opts.searchPath })
    : await PgliteDriver.open({ home: opts.home, lockWaitMs: opts.lockWaitMs })
  return SqlMetadataStore.open(driver)
}
