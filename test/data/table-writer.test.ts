import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import * as arrow from 'apache-arrow'
import { withConnection } from '../../src/data/duckdb/database.js'
import { TableFileWriter } from '../../src/data/duckdb/table-writer.js'
import { makeTemp, removeTemp } from '../helpers/cli.js'

const batch = (from: number, n: number) => new arrow.Table({
  id: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => from + i), new arrow.Int32()),
  name: arrow.vectorFromArray(Array.from({ length: n }, (_, i) => `row ${from + i}`), new arrow.Utf8()),
}).batches[0]!

const rowsOf = (path: string, format = 'read_parquet') => withConnection(async (c) => (await (await c.run(`SELECT id, name FROM ${format}('${path}')`)).getRows()).map((r) => [Number(r[0]), String(r[1])]))

const outTables = () => withConnection(async (c) => (await (await c.run(`SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'quiver_out_%'`)).getRows()).length)

describe('TableFileWriter', () => {
  let dir = ''
  before(async () => (dir = await makeTemp()))
  after(async () => removeTemp(dir))

  for (const spillBytes of [undefined, 1]) {
    it(`writes batches in order into one file${spillBytes ? ', spilled as parts on the way' : ''}, leaving no table or part behind`, async () => {
      const tables = await outTables()
      const path = join(dir, `out-${spillBytes ?? 'whole'}.parquet`)
      const w = await TableFileWriter.open(path, { spillBytes })
      for (let b = 0; b < 3; b++) await w.write(batch(b * 3000, 3000))
      assert.equal(await w.close(), 9000)
      const rows = await rowsOf(path)
      assert.equal(rows.length, 9000)
      assert.deepEqual(rows[0], [0, 'row 0'])
      assert.deepEqual(rows[8999], [8999, 'row 8999'])
      assert.ok(rows.every((r, i) => r[0] === i), 'rows keep their order')
      assert.equal(await outTables(), tables)
      assert.deepEqual((await readdir(dir)).filter((f) => f.startsWith('.')), [])
    })
  }

  it('writes CSV, and an empty file of the schema when nothing came', async () => {
    const path = join(dir, 'out.csv')
    const w = await TableFileWriter.open(path)
    await w.write(batch(0, 2))
    await w.close()
    assert.deepEqual(await rowsOf(path, 'read_csv'), [[0, 'row 0'], [1, 'row 1']])
    const empty = join(dir, 'empty.parquet')
    const e = await TableFileWriter.open(empty)
    assert.equal(await e.close(batch(0, 1).schema), 0)
    assert.deepEqual(await rowsOf(empty), [])
  })

  it('leaves neither output nor table when aborted', async () => {
    const tables = await outTables()
    const path = join(dir, 'aborted.parquet')
    const w = await TableFileWriter.open(path, { spillBytes: 1 })
    await w.write(batch(0, 10))
    await w.write(batch(10, 10))
    await w.abort()
    assert.equal(await outTables(), tables)
    assert.ok(!(await readdir(dir)).some((f) => f.includes('aborted')))
  })
})
