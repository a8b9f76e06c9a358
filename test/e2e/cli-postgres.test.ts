/**
 * Quiver on PostgreSQL (`QUIVER_DATABASE_URL`) through the real `bin/quiver`: eight processes
 * uploading one name at once get seqs 1..8 and no error.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { join } from 'node:path'
import pg from 'pg'
import { postgresSkipReason, TEST_DATABASE_URL, urlWithSchema } from '../helpers/postgres.js'
import { makeTemp, removeTemp, runCli } from '../helpers/cli.js'
import { MODEL_FIXTURES } from '../helpers/fixtures.js'

const URL = TEST_DATABASE_URL
const SCHEMA = `quiver_e2e_${process.pid}_${Date.now().toString(36)}`

const skip = await postgresSkipReason()

describe('bin/quiver on PostgreSQL', { skip: skip ?? false }, () => {
  const admin = new pg.Client({ connectionString: URL })
  const url = urlWithSchema(SCHEMA)
  let home: string
  before(async () => {
    home = await makeTemp()
    await admin.connect()
    await admin.query(`CREATE SCHEMA ${SCHEMA}`)
  })
  after(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`)
    await admin.end()
    await removeTemp(home)
  })

  it('eight concurrent uploads of one name yield versions #1..#8', async () => {
    const model = join(MODEL_FIXTURES, 'onnx-mlp-iris/model.onnx')
    const env = { QUIVER_DATABASE_URL: url }
    const results = await Promise.all(
      Array.from({ length: 8 }, () => runCli(['--json', 'upload', 'shared', model, '--framework', 'onnx'], { home, env })),
    )
    for (const r of results) assert.equal(r.code, 0, r.stderr)
    const seqs = results.map((r) => JSON.parse(r.stdout).seq).sort((a: number, b: number) => a - b)
    assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6, 7, 8])
    const listed = await runCli(['--json', 'versions', 'shared'], { home, env })
    assert.equal(listed.code, 0, listed.stderr)
    const versions = JSON.parse(listed.stdout)
    assert.equal(new Set(versions.map((v: { version: string }) => v.version)).size, 8)
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.versions`)
    assert.equal(rows[0].n, 8, 'the versions live in the test schema')
  })
})
