import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import * as arrow from 'apache-arrow'
import { buildResultTable } from '../../src/data/result-table.js'
import { tableToColumnsJson } from '../../src/data/table-output.js'
import { isQuiverError } from '../../src/errors.js'

const TIME = new Date('2025-07-29T10:00:00.000Z')

function floats(values: number[]): arrow.Vector {
  return arrow.makeVector(new Float32Array(values))
}
function bools(values: (boolean | null)[]): arrow.Vector<arrow.Bool> {
  return arrow.vectorFromArray(values, new arrow.Bool())
}

describe('buildResultTable', () => {
  it('lays out time, in.*, out.*, anomaly.count and anomaly.* in order, reusing the column data', () => {
    const input = new arrow.Table({ a: floats([1, 2, 3]), b: arrow.vectorFromArray(['x', 'y', 'z']) })
    const output = new arrow.Table({ score: floats([0.5, 0.25, 1]) })
    const result = buildResultTable({ time: TIME, input, output, anomalies: { high: bools([true, false, true]), odd: bools([true, null, false]) } })
    assert.deepEqual(result.schema.fields.map((f) => [f.name, String(f.type)]), [
      ['time', 'Timestamp<MILLISECOND>'], ['in.a', 'Float32'], ['in.b', 'Dictionary<Int32, Utf8>'], ['out.score', 'Float32'],
      ['anomaly.count', 'Uint32'], ['anomaly.high', 'Bool'], ['anomaly.odd', 'Bool'],
    ])
    const cols = tableToColumnsJson(result).columns
    assert.deepEqual(cols['time'], Array(3).fill(TIME.toISOString()))
    assert.deepEqual(cols['anomaly.count'], [2, 0, 1])
    assert.deepEqual(cols['anomaly.odd'], [true, null, false])
    assert.equal(result.getChild('in.a')!.data[0], input.getChild('a')!.data[0], 'input column data reused, not rebuilt')
    assert.equal(result.getChild('out.score')!.data[0], output.getChild('score')!.data[0])
  })

  it('writes anomaly.count 0 when no validations are defined', () => {
    const t = new arrow.Table({ x: floats([1, 2]) })
    const result = buildResultTable({ time: TIME, input: t, output: t })
    assert.deepEqual(result.schema.fields.map((f) => f.name), ['time', 'in.x', 'out.x', 'anomaly.count'])
    assert.deepEqual(tableToColumnsJson(result).columns['anomaly.count'], [0, 0])
    assert.equal(result.schema.fields[3]!.nullable, false)
  })

  it('aligns differently chunked columns by slicing, without copying values', () => {
    const input = new arrow.Table({ x: floats([1, 2, 3]) }).concat(new arrow.Table({ x: floats([4, 5]) }))
    const output = new arrow.Table({ y: floats([10, 20]) }).concat(new arrow.Table({ y: floats([30, 40, 50]) }))
    const result = buildResultTable({ time: TIME, input, output })
    assert.deepEqual(result.batches.map((b) => b.numRows), [2, 1, 2])
    const cols = tableToColumnsJson(result).columns
    assert.deepEqual(cols['in.x'], [1, 2, 3, 4, 5])
    assert.deepEqual(cols['out.y'], [10, 20, 30, 40, 50])
    const inBuffers = new Set(input.getChild('x')!.data.map((d) => d.values.buffer))
    for (const d of result.getChild('in.x')!.data) assert.ok(inBuffers.has(d.values.buffer), 'a slice of the input buffer')
  })

  it('fails when the output does not have one row per input row', () => {
    const input = new arrow.Table({ x: floats([1, 2, 3]) })
    const output = new arrow.Table({ y: floats([1, 2]) })
    assert.throws(() => buildResultTable({ time: TIME, input, output }), (e: unknown) =>
      isQuiverError(e) && e.code === 'runtime_failure' && e.message === 'the model returned 2 rows for 3 input rows; every input row must yield exactly one output row')
    assert.throws(() => buildResultTable({ time: TIME, input, output: input, anomalies: { v: bools([true]) } }), (e: unknown) =>
      isQuiverError(e) && e.code === 'runtime_failure' && /validation 'v' returned 1 values for 3 rows/.test(e.message))
  })
})
