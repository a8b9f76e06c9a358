import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import * as arrow from 'apache-arrow'
import { concatData } from '../../src/data/arrow-concat.js'
import { columnValues } from '../../src/data/column-values.js'

const item = (t: arrow.DataType) => new arrow.Field('item', t, true)

const CASES: [string, arrow.DataType, (i: number) => unknown][] = [
  ['int8', new arrow.Int8(), (i) => (i % 5 === 0 ? null : (i % 200) - 100)],
  ['int64', new arrow.Int64(), (i) => (i % 7 === 0 ? null : BigInt(i) * 3000000000n)],
  ['uint64', new arrow.Uint64(), (i) => BigInt(i) * 2n ** 40n],
  ['float16', new arrow.Float16(), (i) => i / 4],
  ['float32', new arrow.Float32(), (i) => (i % 3 === 0 ? null : i / 8)],
  ['float64', new arrow.Float64(), (i) => i * 1.5],
  ['timestamp', new arrow.TimestampMillisecond(), (i) => 1700000000000 + i],
  ['bool', new arrow.Bool(), (i) => (i % 4 === 0 ? null : i % 3 === 0)],
  ['utf8', new arrow.Utf8(), (i) => (i % 6 === 0 ? null : 'é'.repeat(i % 4) + String(i))],
  ['binary', new arrow.Binary(), (i) => new Uint8Array(i % 3).fill(i)],
  ['list', new arrow.List(item(new arrow.Int32())), (i) => (i % 5 === 0 ? null : Array.from({ length: i % 4 }, (_, k) => (k === 1 ? null : i + k)))],
  ['fixed list', new arrow.FixedSizeList(2, item(new arrow.Float32())), (i) => (i % 4 === 0 ? null : [i, i % 3 === 0 ? null : -i])],
  ['list of strings', new arrow.List(item(new arrow.Utf8())), (i) => Array.from({ length: i % 3 }, (_, k) => `${i}-${k}`)],
  ['struct', new arrow.Struct([new arrow.Field('a', new arrow.Int16(), true), new arrow.Field('b', new arrow.Utf8(), true)]), (i) => (i % 5 === 0 ? null : { a: i, b: String(i) })],
]

describe('concatData', () => {
  for (const [label, type, value] of CASES) {
    it(`joins sliced chunks of ${label} into one Data with the same values`, () => {
      const whole = arrow.vectorFromArray(Array.from({ length: 100 }, (_, i) => value(i)), type)
      // Uneven slices, some at an offset inside their buffers, one empty.
      const cuts = [0, 1, 9, 9, 31, 64, 100]
      const chunks = cuts.slice(1).map((end, k) => whole.data[0]!.slice(cuts[k]!, end - cuts[k]!))
      const joined = concatData(type, chunks)
      assert.ok(joined !== null)
      assert.equal(joined.length, 100)
      assert.equal(joined.nullCount, whole.nullCount)
      assert.deepEqual(columnValues(arrow.makeVector(joined), 'json'), columnValues(whole, 'json'))
      // And it survives an IPC round trip as one batch.
      const table = new arrow.Table({ x: arrow.makeVector(joined) })
      const back = arrow.tableFromIPC(arrow.tableToIPC(table, 'file'))
      assert.equal(back.batches.length, 1)
      assert.deepEqual(columnValues(back.getChild('x')!, 'json'), columnValues(whole, 'json'))
    })
  }

  it('leaves types it does not know to the caller', () => {
    const dict = arrow.vectorFromArray(['a', 'b', 'a'])
    assert.equal(concatData(dict.type, [dict.data[0]!.slice(0, 1), dict.data[0]!.slice(1, 2)]), null)
  })
})
