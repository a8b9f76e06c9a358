import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import pg from 'pg'
import { hashToken, LocalAuthApi } from '../../src/api/local-auth-api.js'
import type { SqlDriver } from '../../src/store/driver.js'
import { migrate } from '../../src/store/migrations/migrate.js'
import { PgliteDriver } from '../../src/store/pglite/pglite-driver.js'
import { PostgresDriver } from '../../src/store/postgres/postgres-driver.js'
import { SqlTokenStore } from '../../src/store/sql-token-store.js'

const PG_URL = process.env.QUIVER_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

async function postgresSkip(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5_000 })
  try {
    await client.connect()
    return undefined
  } catch (err) {
    return `PostgreSQL at ${PG_URL} is not reachable (${(err as Error).message})`
  } finally {
    await client.end().catch(() => {})
  }
}
const pgSkip = await postgresSkip()
if (pgSkip && process.env.CI) throw new Error(`CI is set, so PostgreSQL tests may not skip: ${pgSkip}`)
if (pgSkip) console.log(`# skipping PostgreSQL token tests: ${pgSkip}`)

type Open = (t: { after: (fn: () => Promise<void>) => void }) => Promise<SqlDriver>

const BACKENDS: [string, Open, string | undefined][] = [
  ['pglite', async (t) => {
    const home = await mkdtemp(join(tmpdir(), 'quiver-auth-'))
    const driver = await PgliteDriver.open({ home })
    t.after(async () => {
      await driver.close()
      await rm(home, { recursive: true, force: true })
    })
    return driver
  }, undefined],
  ['postgres', async (t) => {
    const schema = `quiver_test_auth_${randomBytes(4).toString('hex')}`
    const admin = new pg.Client({ connectionString: PG_URL })
    await admin.connect()
    await admin.query(`CREATE SCHEMA ${schema}`)
    const driver = await PostgresDriver.open({ url: PG_URL, searchPath: schema })
    t.after(async () => {
      await driver.close()
      await admin.query(`DROP SCHEMA ${schema} CASCADE`)
      await admin.end()
    })
    return driver
  }, pgSkip],
]

for (const [name, open, skip] of BACKENDS) {
  describe(`LocalAuthApi on ${name}`, { skip }, () => {
    async function auth(t: { after: (fn: () => Promise<void>) => void }) {
      const driver = await open(t)
      await migrate(driver)
      return { auth: new LocalAuthApi(new SqlTokenStore(driver)), driver }
    }

    it('creates a token shown once, stores only its hash, verifies it and stops after revoke', async (t) => {
      const { auth: a, driver } = await auth(t)
      const created = await a.createToken({ workspace: 'team-a', role: 'editor', user: 'ada' })
      assert.match(created.token, /^qvr_[A-Za-z0-9_-]{43}$/)
      assert.equal(created.workspace, 'team-a')
      assert.equal(created.user, 'ada')
      assert.equal(created.revoked_at, null)
      const rows = await driver.query<{ token_hash: string }>('SELECT token_hash FROM api_tokens')
      assert.deepEqual(rows.map((r) => r.token_hash), [hashToken(created.token)])
      const members = await driver.query<{ role: string }>(
        `SELECT m.role FROM workspace_members m JOIN users u ON u.id = m.user_id JOIN workspaces w ON w.id = m.workspace_id
         WHERE u.name = 'ada' AND w.name = 'team-a'`)
      assert.deepEqual(members.map((m) => m.role), ['editor'])

      assert.deepEqual(await a.verifyToken(created.token), { tokenId: created.id, workspace: 'team-a', role: 'editor', user: 'ada' })
      assert.equal(await a.verifyToken(`${created.token}x`), null)
      assert.equal(await a.verifyToken('not-a-token'), null)
      const listed = await a.listTokens({ workspace: 'team-a' })
      assert.deepEqual(listed.map((x) => x.id), [created.id])
      assert.ok(!('token' in listed[0]!))

      const revoked = await a.revokeToken(created.id)
      assert.ok(revoked.revoked_at)
      assert.equal(await a.verifyToken(created.token), null)
      await assert.rejects(a.revokeToken('tok_missing'), { code: 'not_found', message: "token 'tok_missing' does not exist" })
    })

    it('refuses a bad role, workspace or user name', async (t) => {
      const { auth: a } = await auth(t)
      await assert.rejects(a.createToken({ workspace: 'default', role: 'admin' as never }), { code: 'invalid_input', message: /role must be one of viewer, editor, owner, got "admin"/ })
      await assert.rejects(a.createToken({ workspace: 'Bad_WS', role: 'viewer' }), { code: 'invalid_input', message: /Bad_WS/ })
      await assert.rejects(a.createToken({ workspace: 'default', role: 'viewer', user: 'a b' }), { code: 'invalid_input', message: /user name "a b"/ })
      assert.deepEqual(await a.listTokens(), [])
    })
  })
}
