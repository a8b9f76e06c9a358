import { join } from 'node:path'
import type { PGlite, Transaction } from '@electric-sql/pglite'
import type { SqlDriver, SqlExecutor } from '../driver.js'
import { HomeLock } from './home-lock.js'
import { markStoreClosed, markStoreOpen } from './store-epoch.js'

export interface PgliteDriverOptions {
  /** The Quiver home; the database lives in `<home>/db` and the home is locked while open. */
  home: string
  /** How long to wait for another process holding the home (default `QUIVER_LOCK_WAIT_MS` or 10 s). */
  lockWaitMs?: number
}

/**
 * initdb writes shared_buffers = 128MB, and every open pays for setting up that buffer pool in
 * WASM memory (measured at 150-300 ms of each open). The metadata database is a few
 * megabytes, so 32MB still caches all of it.
 */
const START_PARAMS = ['-c', 'shared_buffers=32MB']

/** Embedded PostgreSQL (PGlite) in `<home>/db`, one process at a time per home. */
export class PgliteDriver implements SqlDriver {
  readonly kind = 'pglite' as const
  readonly #db: PGlite
  readonly #lock: HomeLock
  readonly #home: string
  #closed: Promise<void> | null = null

  private constructor(db: PGlite, lock: HomeLock, home: string) {
    this.#db = db
    this.#lock = lock
    this.#home = home
  }

  static async open(opts: PgliteDriverOptions): Promise<PgliteDriver> {
    const lock = await HomeLock.acquire(opts.home, { waitMs: opts.lockWaitMs })
    try {
      // Before anything can change: readings of the store taken earlier stop counting as current.
      await markStoreOpen(opts.home)
      // Loaded here so that the PostgreSQL path never pays for the WASM build.
      const { PGlite } = await import('@electric-sql/pglite')
      const db = await PGlite.create(join(opts.home, 'db'), { startParams: [...PGlite.defaultStartParams, ...START_PARAMS] })
      return new PgliteDriver(db, lock, opts.home)
    } catch (err) {
      await lock.release()
      throw err
    }
  }

  async query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    const res = await this.#db.query<R>(sql, params ? [...params] : undefined)
    return res.rows
  }

  async exec(sql: string): Promise<void> {
    await this.#db.exec(sql)
  }

  /**
   * PGlite has a single connection: its own `transaction()` holds a mutex that also queues every
   * other `query()`, so transactions never interleave on the one session.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.#db.transaction((tx) => fn(wrapTransaction(tx)))
  }

  get previousHolderDied(): boolean {
    return this.#lock.tookOverFrom !== null
  }

  close(): Promise<void> {
    this.#closed ??= (async () => {
      try {
        await this.#db.close()
        await markStoreClosed(this.#home)
      } finally {
        await this.#lock.release()
      }
    })()
    return this.#closed
  }
}

function wrapTransaction(tx: Transaction): SqlExecutor {
  return {
    async query<R>(sql: string, params?: readonly unknown[]): Promise<R[]> {
      return (await tx.query<R>(sql, params ? [...params] : undefined)).rows
    },
    async exec(sql: string): Promise<void> {
      await tx.exec(sql)
    },
  }
}
