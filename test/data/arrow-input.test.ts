import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import * as arrow from 'apache-arrow'
import { readTable } from '../../src/data/table-input.js'
import { tableToColumnsJson } from '../../src/data/table-output.js'
import { parseSchema } from '../../src/data/schema.js'
import { isQuiverError } from '../../src/errors.js'

const f = (name: string, type: arrow.DataType, nullable = true): arrow.Field => new arrow.Field(name, type, nullable)
const fsl = (size: number, t: arrow.DataType): arrow.FixedSizeList => new arrow.FixedSizeList(size, f('element', t, false))
const vec = (values: unknown[], type: arrow.DataType): arrow.Vector => arrow.vectorFromArray(values, type as never)
const micros = (values: bigint[]): arrow.Vector => arrow.makeVector(arrow.makeData({
  type: new arrow.TimestampMicrosecond(), length: values.length, data: BigInt64Array.from(values),
}))

const FEATURES = parseSchema([{ name: 'features', type: { list: 'float32', size: 4 }, nullable: false }, { name: 'id', type: 'int64', nullable: false }])

function featuresTable(rows: number): arrow.Table {
  const flat = new Float32Array(rows * 4).map((_, i) => i / 4)
  const child = arrow.makeData({ type: new arrow.Float32(), length: rows * 4, data: flat })
  const features = arrow.makeVector(arrow.makeData({ type: fsl(4, new arrow.Float32()), length: rows, child }))
  return new arrow.Table({ id: arrow.makeVector(BigInt64Array.from({ length: rows }, (_, i) => BigInt(i))), features })
}

async function refusal(p: Promise<unknown>): Promise<{ message: string; details: Record<string, unknown> }> {
  try {
    await p
  } catch (err) {
    assert.ok(isQuiverError(err) && err.code === 'invalid_input', String(err))
    return { message: err.message, details: err.details ?? {} }
  }
  assert.fail('expected InvalidInput')
}

describe('readTable on Arrow input', () => {
  it('re-labels matching columns without copying their buffers (in-process hot path)', async () => {
    const input = featuresTable(1000)
    const out = await readTable({ kind: 'table', table: input }, FEATURES)
    assert.deepEqual(out.schema.fields.map((x) => x.name), ['features', 'id'])
    assert.equal(String(out.schema.fields[0]!.type), 'FixedSizeList[4]<Float32>')
    assert.equal(out.schema.fields[0]!.nullable, false)
    const inF = input.getChild('features')!.data[0]!
    const outF = out.getChild('features')!.data[0]!
    assert.equal(outF.children[0]!.values, inF.children[0]!.values, 'feature values are the same buffer')
    assert.equal(out.getChild('id')!.data[0]!.values, input.getChild('id')!.data[0]!.values)
    // the child field is the schema's own ('item', nullable), not the producer's ('element')
    assert.equal((outF.type as arrow.FixedSizeList).children[0]!.name, 'item')
  })

  it('returns a table already shaped exactly like the schema as it is', async () => {
    const first = await readTable({ kind: 'table', table: featuresTable(10) }, FEATURES)
    assert.equal(await readTable({ kind: 'table', table: first }, FEATURES), first)
    const nullable = parseSchema([{ name: 'x', type: 'float32', nullable: true }])
    const withNull = await readTable({ kind: 'json', value: [{ x: 1 }, { x: null }] }, nullable, { nullsAllowed: true })
    assert.equal(await readTable({ kind: 'table', table: withNull }, nullable, { nullsAllowed: true }), withNull)
    const r = await refusal(readTable({ kind: 'table', table: withNull }, nullable))
    assert.equal(r.details.row, 1)
  })

  it('keeps batches and slices, numbering rows across batches', async () => {
    const a = featuresTable(3)
    const b = featuresTable(2)
    const both = a.concat(b)
    assert.equal(both.batches.length, 2)
    const out = await readTable({ kind: 'table', table: both.slice(1, 4) }, FEATURES)
    assert.deepEqual(tableToColumnsJson(out).columns.id, [1, 2, 0])
    assert.deepEqual(tableToColumnsJson(out).columns.features, [[1, 1.25, 1.5, 1.75], [2, 2.25, 2.5, 2.75], [0, 0.25, 0.5, 0.75]])

    const x = parseSchema([{ name: 'x', type: 'float32', nullable: true }])
    const t = new arrow.Table({ x: vec([1, 2], new arrow.Float32()) }).concat(new arrow.Table({ x: vec([3, null], new arrow.Float32()) }))
    const r = await refusal(readTable({ kind: 'table', table: t }, x))
    assert.equal(r.message, "field 'x' row 3: expected float32, got null (this runtime accepts no nulls)")
    assert.equal((await readTable({ kind: 'table', table: t }, x, { nullsAllowed: true })).getChild('x')!.nullCount, 1)
  })

  it('casts safely castable columns', async () => {
    const schema = parseSchema([
      { name: 'f32', type: 'float32' }, { name: 'i64', type: 'int64' }, { name: 'i16', type: 'int16' },
      { name: 'f64', type: 'float64' }, { name: 'vec', type: { list: 'float32', size: 2 } },
      { name: 'var', type: { list: 'float64', size: 2 } }, { name: 's', type: 'string' },
      { name: 't', type: 'timestamp[ms]' }, { name: 'd', type: 'timestamp[ms]' },
      { name: 'p', type: { struct: [{ name: 'a', type: 'int64' }, { name: 'b', type: 'string' }] } },
      { name: 'words', type: { list: 'string', size: null } },
    ])
    const table = new arrow.Table({
      i64: vec([1, 2], new arrow.Int32()),
      f32: vec([0.1, 2], new arrow.Float64()),
      i16: vec([255, 0], new arrow.Uint8()),
      f64: vec([1.5, -2], new arrow.Float32()),
      vec: vec([[1, 2], [3, 4]], fsl(2, new arrow.Float64())),
      var: vec([[1, 2], [3, 4]], new arrow.List(f('item', new arrow.Int32()))),
      s: vec(['a', 'b'], new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())),
      t: micros([1_000_000n, 2_000_000n]),
      d: vec([new Date(86400000), new Date(0)], new arrow.DateDay()),
      p: vec([{ b: 'x', a: 1 }, { b: 'y', a: 2 }], new arrow.Struct([f('b', new arrow.LargeUtf8()), f('a', new arrow.Int8())])),
      words: vec([['a'], ['b', 'c']], fsl(1, new arrow.Utf8())).slice(0, 1).concat(vec([['b']], fsl(1, new arrow.Utf8()))),
    })
    const out = await readTable({ kind: 'table', table }, schema)
    assert.deepEqual(out.schema.fields.map((x) => String(x.type)), [
      'Float32', 'Int64', 'Int16', 'Float64', 'FixedSizeList[2]<Float32>', 'FixedSizeList[2]<Float64>', 'Utf8',
      'Timestamp<MILLISECOND>', 'Timestamp<MILLISECOND>', 'Struct<{a:Int64, b:Utf8}>', 'List<Utf8>',
    ])
    assert.deepEqual(tableToColumnsJson(out).columns, {
      f32: [Math.fround(0.1), 2], i64: [1, 2], i16: [255, 0], f64: [1.5, -2], vec: [[1, 2], [3, 4]], var: [[1, 2], [3, 4]],
      s: ['a', 'b'], t: ['1970-01-01T00:00:01.000Z', '1970-01-01T00:00:02.000Z'],
      d: ['1970-01-02T00:00:00.000Z', '1970-01-01T00:00:00.000Z'],
      p: [{ a: 1, b: 'x' }, { a: 2, b: 'y' }], words: [['a'], ['b']],
    })
    assert.ok(out.getChild('f32')!.data[0]!.values instanceof Float32Array)
  })

  it('refuses lossy casts with a clear error', async () => {
    const x = parseSchema([{ name: 'x', type: 'float32' }])
    let r = await refusal(readTable({ kind: 'table', table: new arrow.Table({ x: vec(['1.5'], new arrow.Utf8()) }) }, x))
    assert.equal(r.message, "field 'x' row 0: expected float32, got an Arrow column of type Utf8 (converting Utf8 to float32 would lose data; convert it before sending)")
    assert.equal(r.details.field, 'x')
    const n = parseSchema([{ name: 'n', type: 'int64' }])
    r = await refusal(readTable({ kind: 'table', table: new arrow.Table({ n: vec([1], new arrow.Float64()) }) }, n))
    assert.match(r.message, /expected int64, got an Arrow column of type Float64/)
    r = await refusal(readTable({ kind: 'table', table: new arrow.Table({ n: vec([true], new arrow.Bool()) }) }, n))
    assert.match(r.message, /got an Arrow column of type Bool/)
  })

  it('checks values while casting: overflow, exactness, ragged lists, sub-millisecond times', async () => {
    const i8 = parseSchema([{ name: 'k', type: 'int8' }])
    let r = await refusal(readTable({ kind: 'table', table: new arrow.Table({ k: vec([1, 2, 300], new arrow.Int32()) }) }, i8))
    assert.equal(r.message, "field 'k' row 2: expected int8, got 300 (out of the int8 range -128..127)")
    const f32 = parseSchema([{ name: 'x', type: 'float32' }])
    r = await refusal(readTable({ kind: 'table', table: new arrow.Table({ x: vec([1n, 16777217n], new arrow.Int64()) }) }, f32))
    assert.equal(r.message, "field 'x' row 1: expected float32, got 16777217 (not exactly representable as float32)")
    r = await refusal(readTable({ kind: 'table', table: new arrow.Table({ features: vec([[1, 2, 3, 4], [1, 2, 3]], new arrow.List(f('item', new arrow.Float64()))), id: vec([1n, 2n], new arrow.Int64()) }) }, FEATURES))
    assert.equal(r.message, "field 'features' row 1: expected list of 4 float32, got 3 values")
    r = await refusal(readTable({ kind: 'table', table: new arrow.Table({ features: vec([[1, 2, 3]], fsl(3, new arrow.Float32())), id: vec([1n], new arrow.Int64()) }) }, FEATURES))
    assert.match(r.message, /^field 'features' row 0: expected list of 4 float32, got 3 values$/)
    r = await refusal(readTable({ kind: 'table', table: new arrow.Table({ features: vec([[1, 2, 3, 4], [1, 2, null, 4]], new arrow.List(f('item', new arrow.Float64()))), id: vec([1n, 2n], new arrow.Int64()) }) }, FEATURES))
    assert.match(r.message, /^field 'features' row 1: expected float32, got null/)
    const t = parseSchema([{ name: 't', type: 'timestamp[ms]' }])
    r = await refusal(readTable({ kind: 'table', table: new arrow.Table({ t: micros([1000n, 1500n]) }) }, t))
    assert.match(r.message, /^field 't' row 1: expected timestamp\[ms\], got .*1500 \(sub-millisecond precision would be lost\)$/)
  })

  it('refuses nulls nested in a matching column, naming the row', async () => {
    const table = new arrow.Table({ features: vec([[1, 2, 3, 4], [1, null, 3, 4]], fsl(4, new arrow.Float32())), id: vec([1n, 2n], new arrow.Int64()) })
    const r = await refusal(readTable({ kind: 'table', table }, FEATURES))
    assert.equal(r.message, "field 'features' row 1: expected list of 4 float32, got null at position 1 (this runtime accepts no nulls)")
  })

  it('lets a null struct row through when nulls are allowed, even over non-nullable children', async () => {
    const schema = parseSchema([{ name: 'p', type: { struct: [{ name: 'a', type: 'int64', nullable: false }] }, nullable: true }])
    const p = vec([{ a: 1 }, null, { a: 3 }], new arrow.Struct([f('a', new arrow.Int32())]))
    const out = await readTable({ kind: 'table', table: new arrow.Table({ p }) }, schema, { nullsAllowed: true })
    assert.deepEqual(tableToColumnsJson(out).columns.p, [{ a: 1 }, null, { a: 3 }])
    const r = await refusal(readTable({ kind: 'table', table: new arrow.Table({ p }) }, schema))
    assert.equal(r.message, "field 'p' row 1: expected struct<a: int64>, got null (this runtime accepts no nulls)")
  })

  it('reads IPC stream and file bytes', async () => {
    const table = featuresTable(5)
    for (const format of ['stream', 'file'] as const) {
      const out = await readTable({ kind: 'arrow', bytes: arrow.tableToIPC(table, format) }, FEATURES)
      assert.equal(out.numRows, 5)
      assert.deepEqual(tableToColumnsJson(out).columns.id, [0, 1, 2, 3, 4])
    }
  })
})
