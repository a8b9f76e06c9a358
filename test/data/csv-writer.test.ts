import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import * as arrow from 'apache-arrow'
import { readTable } from '../../src/data/table-input.js'
import { writeCsv } from '../../src/data/csv.js'
import { chunkValues } from '../../src/data/column-values.js'
import { columnChunks } from '../../src/data/arrow-fast.js'
import { tableToCsv } from '../../src/data/csv-writer.js'
import { ALL_TYPES_ROWS, ALL_TYPES_SCHEMA } from './all-types.js'

/** CSV from the JSON values of each column: the row-wise writer the columnar one must equal. */
const viaValues = (t: arrow.Table) => writeCsv(t.schema.fields.map((f) => f.name), t.schema.fields.map((_, k) => chunkValues(columnChunks(t, k), 'json')), t.numRows)

describe('the columnar CSV writer', () => {
  it('writes every type byte for byte as the values writer does, nulls as empty cells', async () => {
    const t = await readTable({ kind: 'json', value: ALL_TYPES_ROWS }, ALL_TYPES_SCHEMA, { nullsAllowed: true })
    assert.ok(t.schema.fields.some((f) => t.getChild(f.name)!.nullCount > 0), 'the rows hold nulls')
    assert.equal(tableToCsv(t), viaValues(t))
  })

  it('spells floats as JSON does and quotes the text that needs it, in sliced and multi-batch tables', () => {
    const t = arrow.tableFromArrays({
      'a,b': Float64Array.from([NaN, Infinity, -Infinity, -0, 1e21, 1e-7, 0.1]),
      s: ['', ' x', 'a"b', 'line\nx', 'ok', 'é', 'x\r'],
      big: BigInt64Array.from([2n ** 63n - 1n, -(2n ** 63n), 0n, 1n, 2n ** 53n + 1n, -5n, 7n]),
    })
    const csv = tableToCsv(t)
    assert.equal(csv, viaValues(t))
    assert.equal(csv.split('\n')[0], '"a,b",s,big')
    assert.equal(csv.split('\n')[1], 'NaN,"",9223372036854775807')
    const sliced = t.slice(2, 5)
    assert.equal(tableToCsv(sliced), viaValues(sliced))
    const twoBatches = new arrow.Table([...t.slice(0, 3).batches, ...t.slice(3).batches])
    assert.equal(tableToCsv(twoBatches), csv)
  })
})
