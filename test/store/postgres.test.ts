import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { loadMigrations, migrate } from '../../src/store/migrations/migrate.js'
import { openMetadataStore } from '../../src/store/open-store.js'
import { PostgresDriver } from '../../src/store/postgres/postgres-driver.js'
import { SqlMetadataStore } from '../../src/store/sql-store.js'
import { postgresSkipReason, TEST_DATABASE_URL } from '../helpers/postgres.js'
import { Child } from './child-process.js'
import { metadataStoreSuite } from './metadata-store.suite.js'

const URL = TEST_DATABASE_URL

const skip = await postgresSkipReason()

// Every run works in schemas of its own, dropped afterwards, so runs never collide.
const RUN = randomBytes(4).toString('hex')
const SUITE_SCHEMA = `quiver_test_${RUN}_suite`
const RACE_SCHEMA = `quiver_test_${RUN}_race`
const MISC_SCHEMA = `quiver_test_${RUN}_misc`
const SCHEMAS = [SUITE_SCHEMA, RACE_SCHEMA, MISC_SCHEMA]

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: URL })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

if (!skip) {
  before(() => admin(async (c) => { for (const s of SCHEMAS) await c.query(`CREATE SCHEMA ${s}`) }))
  after(() => admin(async (c) => { for (const s of SCHEMAS) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`) }))
}

metadataStoreSuite('postgres', () => openMetadataStore({ home: '/nonexistent', databaseUrl: URL, searchPath: SUITE_SCHEMA }), { skip })

describe('PostgreSQL metadata store', { skip }, () => {
  it('gives 8 processes uploading one name at once seqs 1..8, migrating together first', async (t) => {
    const children = Array.from({ length: 8 }, () => new Child('./children/create-version.ts', [URL, RACE_SCHEMA, 'raced']))
    t.after(() => children.forEach((c) => c.kill()))
    // All eight start against an empty schema, so they also race to migrate it.
    for (const c of children) assert.equal(await c.line(), 'ready')
    for (const c of children) c.send('go')
    const made = await Promise.all(children.map(async (c) => JSON.parse(await c.line()) as { id: number; seq: number }))
    assert.deepEqual(await Promise.all(children.map((c) => c.exited)), Array(8).fill(0))
    assert.deepEqual(made.map((m) => m.seq).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8])
    assert.equal(new Set(made.map((m) => m.id)).size, 8)
    const migrations = await loadMigrations()
    const rows = await admin((c) => c.query(`SELECT version FROM ${RACE_SCHEMA}.schema_migrations ORDER BY version`))
    assert.deepEqual(rows.rows.map((r) => r.version), migrations.map((m) => m.version))
  })

  it('opens through openMetadataStore without touching the home', async () => {
    const home = await mkdtemp(join(tmpdir(), 'quiver-pg-'))
    try {
      const store = await openMetadataStore({ home, databaseUrl: URL, searchPath: MISC_SCHEMA })
      assert.ok(store instanceof SqlMetadataStore)
      assert.equal(store.kind, 'postgres')
      assert.ok((await store.listWorkspaces()).includes('default'))
      await store.close()
      assert.equal(existsSync(join(home, 'db')), false)
    } finally {
      await rm(home, { recursive: true, force: true })
    }
  })

  it('migrates once and then has nothing to apply', async () => {
    const driver = await PostgresDriver.open({ url: URL, searchPath: MISC_SCHEMA })
    try {
      await migrate(driver)
      assert.deepEqual(await migrate(driver), [])
    } finally {
      await driver.close()
    }
  })

  it('rolls a transaction back when its body throws', async () => {
    const driver = await PostgresDriver.open({ url: URL, searchPath: MISC_SCHEMA })
    try {
      await driver.exec('CREATE TABLE IF NOT EXISTS rollback_probe (n integer)')
      await assert.rejects(driver.transaction(async (tx) => {
        await tx.query('INSERT INTO rollback_probe VALUES ($1)', [1])
        throw new Error('abort')
      }), /abort/)
      assert.deepEqual(await driver.query('SELECT n FROM rollback_probe'), [])
      await driver.transaction((tx) => tx.query('INSERT INTO rollback_probe VALUES ($1)', [2]))
      assert.deepEqual(await driver.query('SELECT n FROM rollback_probe'), [{ n: 2 }])
    } finally {
      await driver.close()
    }
  })

  it('refuses a search path that is not a list of schema names', async () => {
    await assert.rejects(PostgresDriver.open({ url: URL, searchPath: 'a; DROP TABLE x' }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'invalid_input')
      assert.match(err.message, /search path 'a; DROP TABLE x'/)
      return true
    })
  })
})

describe('PostgreSQL connection failure', () => {
  it('names the server, without the password', async () => {
    await assert.rejects(PostgresDriver.open({ url: 'postgres://quiver:s3cret@127.0.0.1:1/nowhere' }), (err: Error) => {
      assert.match(err.message, /^cannot connect to PostgreSQL at postgres:\/\/quiver:\*\*\*@127\.0\.0\.1:1\/nowhere: /)
      assert.doesNotMatch(err.message, /s3cret/)
      return true
    })
  })
})
