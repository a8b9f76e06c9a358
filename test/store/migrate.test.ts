/**
 * Migrations on PGlite: a new database is migrated in one locked transaction; a current one is
 * recognised with a single read, without a transaction.
 */
import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { SqlDriver, SqlExecutor } from '../../src/store/driver.js'
import { loadMigrations, migrate } from '../../src/store/migrations/migrate.js'
import { PgliteDriver } from '../../src/store/pglite/pglite-driver.js'

/** The real driver, with the statements and transactions it is given written down. */
class RecordingDriver implements SqlDriver {
  readonly kind = 'pglite' as const
  readonly statements: string[] = []
  transactions = 0
  readonly #inner: SqlDriver

  constructor(inner: SqlDriver) {
    this.#inner = inner
  }

  query<R>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    this.statements.push(sql)
    return this.#inner.query<R>(sql, params)
  }

  exec(sql: string): Promise<void> {
    this.statements.push(sql)
    return this.#inner.exec(sql)
  }

  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    this.transactions++
    return this.#inner.transaction(fn)
  }

  close(): Promise<void> {
    return this.#inner.close()
  }
}

describe('migrate on PGlite', () => {
  let home: string
  let driver: RecordingDriver
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'quiver-migrate-'))
    driver = new RecordingDriver(await PgliteDriver.open({ home }))
  })
  after(async () => {
    await driver?.close()
    await rm(home, { recursive: true, force: true })
  })

  it('applies every migration to a new database in one transaction', async () => {
    const all = await loadMigrations()
    assert.ok(all.length > 0)
    assert.deepEqual(await migrate(driver), all.map((m) => m.version))
    assert.equal(driver.transactions, 1)
    const rows = await driver.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')
    assert.deepEqual(rows.map((r) => r.version), all.map((m) => m.version))
  })

  it('settles a current database with one read and no transaction', async () => {
    driver.statements.length = 0
    driver.transactions = 0
    assert.deepEqual(await migrate(driver), [])
    assert.equal(driver.transactions, 0)
    assert.deepEqual(driver.statements, ['SELECT version FROM schema_migrations'])
  })

  it('applies only a migration the database lacks', async () => {
    const extra = { version: 9_999, name: 'probe', sql: 'CREATE TABLE migrate_probe (n integer)' }
    driver.transactions = 0
    assert.deepEqual(await migrate(driver, [...(await loadMigrations()), extra]), [9_999])
    assert.equal(driver.transactions, 1)
    assert.deepEqual(await driver.query('SELECT n FROM migrate_probe'), [])
  })

  it('opens with a 32MB buffer pool, not the 128MB initdb writes', async () => {
    assert.deepEqual(await driver.query('SHOW shared_buffers'), [{ shared_buffers: '32MB' }])
  })
})
