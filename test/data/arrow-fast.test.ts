import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import * as arrow from 'apache-arrow'
import { recordBatchOf, structOf, tableOf } from '../../src/data/arrow-fast.js'

const schema = new arrow.Schema([
  new arrow.Field('x', new arrow.Float64(), false),
  new arrow.Field('s', new arrow.Utf8(), true),
])
const x = arrow.vectorFromArray([1.5, -2, 3], new arrow.Float64()).data[0]!
const s = arrow.vectorFromArray(['a', null, 'c'], new arrow.Utf8()).data[0]!

describe('arrow-fast', () => {
  it('builds the batch and table the general constructors build', () => {
    const fast = tableOf(schema, [recordBatchOf(schema, [x, s], 3)])
    const general = new arrow.Table(schema, [new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(schema.fields), length: 3, nullCount: 0, children: [x, s] }))])
    assert.ok(fast instanceof arrow.Table)
    assert.ok(fast.batches[0] instanceof arrow.RecordBatch)
    assert.equal(fast.numRows, 3)
    assert.deepEqual(fast.toArray().map((r) => r.toJSON()), general.toArray().map((r) => r.toJSON()))
    assert.deepEqual(arrow.tableToIPC(fast), arrow.tableToIPC(general))
    assert.equal(fast.getChild('s')!.get(1), null)
    assert.deepEqual(fast.slice(1, 3).getChild('x')!.toArray(), new Float64Array([-2, 3]))
  })

  it('keeps row offsets across several batches', () => {
    const b1 = recordBatchOf(schema, [x, s], 3)
    const b2 = recordBatchOf(schema, [x.slice(0, 2), s.slice(0, 2)], 2)
    const t = tableOf(schema, [b1, b2])
    assert.equal(t.numRows, 5)
    assert.equal(t.get(4)!.toJSON().x, -2)
    assert.equal(t.getChild('s')!.get(3), 'a')
  })

  it('falls back to the general constructors when lengths or types disagree', () => {
    const short = recordBatchOf(schema, [x, arrow.vectorFromArray(['a', 'b'], new arrow.Utf8()).data[0]!], 3)
    assert.equal(short.numRows, 3)
    assert.equal(short.getChild('s')!.get(2), null, 'the short child is back-filled with nulls, as arrow does')
    const other = new arrow.Schema(schema.fields)
    const t = tableOf(other, [recordBatchOf(schema, [x, s], 3)])
    assert.equal(t.numRows, 3)
  })

  it('makes one struct type per schema', () => {
    assert.equal(structOf(schema), structOf(schema))
    assert.deepEqual(structOf(schema).children.map((f) => f.name), ['x', 's'])
  })
})
