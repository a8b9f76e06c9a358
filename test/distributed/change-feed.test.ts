/**
 * Two cores on one PostgreSQL schema, as two replicas are: token revocations and tag moves made
 * through one reach the other's caches through the change feed.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import pg from 'pg'
import { createLocalQuiver } from '../../src/api/create-local.js'
import type { LocalQuiverApi } from '../../src/api/local-api.js'
import { postgresSkipReason, TEST_DATABASE_URL } from '../helpers/postgres.js'
import { databaseUrl } from './cluster.js'

const skip = await postgresSkipReason('the change feed tests')

async function until(probe: () => Promise<boolean>, ms = 5000): Promise<number> {
  const start = performance.now()
  while (!(await probe())) {
    if (performance.now() - start > ms) throw new Error(`not within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 5))
  }
  return performance.now() - start
}

describe('change feed between two cores', { skip }, () => {
  const id = randomBytes(4).toString('hex')
  const schema = `quiver_feed_${id}`
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL })
  let home = ''
  let one: LocalQuiverApi
  let two: LocalQuiverApi
  before(async () => {
    await admin.connect()
    await admin.query(`CREATE SCHEMA ${schema}`)
    home = await mkdtemp(join(tmpdir(), 'quiver-feed-'))
    const url = databaseUrl(schema, `quiver-feed-${id}`)
    one = await createLocalQuiver({ home: join(home, 'one'), databaseUrl: url })
    two = await createLocalQuiver({ home: join(home, 'two'), databaseUrl: url })
    assert.equal(await one.followChanges(), true)
    assert.equal(await two.followChanges(), true)
  })
  after(async () => {
    await one?.close()
    await two?.close()
    await admin.query(`DROP SCHEMA ${schema} CASCADE`).catch(() => {})
    await admin.end()
    await rm(home, { recursive: true, force: true })
  })

  it('refuses a token on one core once it is revoked through the other, without waiting out the cache', async () => {
    const created = await one.auth.createToken({ workspace: 'default', role: 'viewer' })
    assert.equal((await two.auth.verifyToken(created.token))?.tokenId, created.id)
    // Cached now on core two; revoked through core one.
    await one.auth.revokeToken(created.id)
    const ms = await until(async () => (await two.auth.verifyToken(created.token)) === null)
    console.log(`# revocation reached the other core in ${ms.toFixed(0)} ms`)
    // Token checks are cached for a second; refused sooner, the feed dropped the cached check.
    assert.ok(ms < 900, `${ms} ms`)
  })

  it('says it has no feed on the embedded store', async () => {
    const embedded = await createLocalQuiver({ home: join(home, 'embedded'), databaseUrl: '' })
    try {
      assert.equal(await embedded.followChanges(), false)
    } finally {
      await embedded.close()
    }
  })
})
