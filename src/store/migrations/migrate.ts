import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { packagePath } from '../../package-path.js'
import type { SqlDriver } from '../driver.js'

export interface Migration {
  version: number
  name: string
  sql: string
}

const MIGRATIONS_DIR = packagePath('src/store/migrations')
const FILE_RE = /^(\d{3,})-([a-z0-9-]+)\.sql$/
/** One fixed key for the whole database: migrations of every schema take turns. */
const MIGRATION_LOCK_KEY = 7_391_104_226
/** PostgreSQL's undefined_table: the database has never been migrated. */
const UNDEFINED_TABLE = '42P01'

async function migrationFiles(): Promise<string[]> {
  return (await readdir(MIGRATIONS_DIR)).filter((f) => FILE_RE.test(f)).sort()
}

/** The numbered `NNN-name.sql` files beside this module, in order. */
export async function loadMigrations(): Promise<Migration[]> {
  return Promise.all((await migrationFiles()).map(async (file) => {
    const [, num, name] = FILE_RE.exec(file)!
    return { version: Number(num), name: name!, sql: await readFile(join(MIGRATIONS_DIR, file), 'utf8') }
  }))
}

/**
 * Applies pending migrations in order, all in one transaction, and records each in
 * `schema_migrations`. The advisory lock makes processes that start together against one
 * PostgreSQL database queue up instead of racing to create the same tables.
 * Returns the versions it applied.
 */
export async function migrate(driver: SqlDriver, migrations?: Migration[]): Promise<number[]> {
  const wanted = migrations?.map((m) => m.version) ?? (await migrationFiles()).map((f) => Number(FILE_RE.exec(f)![1]))
  if (await isCurrent(driver, wanted)) return []
  const all = migrations ?? (await loadMigrations())
  return driver.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY])
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`)
    const rows = await tx.query<{ version: number }>('SELECT version FROM schema_migrations')
    const done = new Set(rows.map((r) => Number(r.version)))
    const applied: number[] = []
    for (const m of all) {
      if (done.has(m.version)) continue
      await tx.exec(m.sql)
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name])
      applied.push(m.version)
    }
    return applied
  })
}

/**
 * Every open but the first after an upgrade finds the schema current: one read settles that, with
 * no transaction, lock or DDL. Anything else takes the locked path, which checks again.
 */
async function isCurrent(driver: SqlDriver, wanted: readonly number[]): Promise<boolean> {
  let rows: { version: number }[]
  try {
    rows = await driver.query<{ version: number }>('SELECT version FROM schema_migrations')
  } catch (err) {
    if ((err as { code?: unknown }).code === UNDEFINED_TABLE) return false
    throw err
  }
  const done = new Set(rows.map((r) => Number(r.version)))
  return wanted.every((v) => done.has(v))
}
