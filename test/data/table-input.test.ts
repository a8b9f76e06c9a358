import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import * as arrow from 'apache-arrow'
import type { InferInput } from '../../src/data/infer-input.js'
import { readTable } from '../../src/data/table-input.js'
import { tableToColumnsJson, tableToRecordsJson, writeTable } from '../../src/data/table-output.js'
import { parseSchema, toArrowSchema } from '../../src/data/schema.js'
import { ALL_TYPES_ROWS, ALL_TYPES_SCHEMA } from './all-types.js'

const text = (b: Uint8Array): string => new TextDecoder().decode(b)

function columnsOf(rows: Record<string, unknown>[]): { columns: Record<string, unknown[]> } {
  const columns: Record<string, unknown[]> = {}
  for (const f of ALL_TYPES_SCHEMA) columns[f.name] = rows.map((r) => r[f.name])
  return { columns }
}

function assertSchemaExact(t: arrow.Table): void {
  const want = toArrowSchema(ALL_TYPES_SCHEMA).fields
  assert.deepEqual(t.schema.fields.map((f) => [f.name, String(f.type), f.nullable]), want.map((f) => [f.name, String(f.type), f.nullable]))
}

describe('readTable: every SPEC §3 type through every input form', async () => {
  const base = await readTable({ kind: 'json', value: ALL_TYPES_ROWS }, ALL_TYPES_SCHEMA, { nullsAllowed: true })
  const forms: [string, () => Promise<InferInput>][] = [
    ['json records', async () => ({ kind: 'json', value: ALL_TYPES_ROWS })],
    ['json columns', async () => ({ kind: 'json', value: columnsOf(ALL_TYPES_ROWS) })],
    ['arrow table', async () => ({ kind: 'table', table: base })],
    ['arrow ipc stream', async () => ({ kind: 'arrow', bytes: arrow.tableToIPC(base, 'stream') })],
    ['arrow ipc file', async () => ({ kind: 'arrow', bytes: arrow.tableToIPC(base, 'file') })],
    ['parquet', async () => ({ kind: 'parquet', bytes: await writeTable(base, 'parquet') })],
    ['csv', async () => ({ kind: 'csv', text: text(await writeTable(base, 'csv')) })],
    ['records bytes', async () => ({ kind: 'json', value: JSON.parse(text(await writeTable(base, 'records'))) })],
    ['columns bytes', async () => ({ kind: 'json', value: JSON.parse(text(await writeTable(base, 'columns'))) })],
  ]
  for (const [name, make] of forms) {
    it(`round-trips ${name}`, async () => {
      const t = await readTable(await make(), ALL_TYPES_SCHEMA, { nullsAllowed: true })
      assertSchemaExact(t)
      assert.equal(t.numRows, ALL_TYPES_ROWS.length)
      assert.deepEqual(tableToRecordsJson(t), ALL_TYPES_ROWS)
    })
  }

  it('returns columns in schema order whatever the input order', async () => {
    const schema = parseSchema([{ name: 'a', type: 'int32' }, { name: 'b', type: 'string' }])
    const t = await readTable({ kind: 'json', value: [{ b: 'x', a: 1 }] }, schema)
    assert.deepEqual(t.schema.fields.map((f) => f.name), ['a', 'b'])
    const csv = await readTable({ kind: 'csv', text: 'b,a\nx,1\n' }, schema)
    assert.deepEqual(tableToRecordsJson(csv), [{ a: 1, b: 'x' }])
  })

  it('builds fixed-size numeric lists as one typed array under a FixedSizeList', async () => {
    const schema = parseSchema([{ name: 'features', type: { list: 'float32', size: 4 }, nullable: false }])
    const t = await readTable({ kind: 'json', value: { columns: { features: [[1, 2, 3, 4], [5, 6, 7, 8]] } } }, schema)
    const data = t.getChild('features')!.data
    assert.equal(data.length, 1)
    assert.ok(arrow.DataType.isFixedSizeList(data[0]!.type))
    const child = data[0]!.children[0]!
    assert.ok(child.values instanceof Float32Array)
    assert.deepEqual(Array.from(child.values as Float32Array), [1, 2, 3, 4, 5, 6, 7, 8])
  })

  it('keeps nulls of nullable ints and bools in validity bitmaps', async () => {
    const schema = parseSchema([{ name: 'n', type: 'int64' }, { name: 'ok', type: 'bool' }])
    const t = await readTable({ kind: 'json', value: [{ n: 1, ok: true }, { n: null, ok: null }, { ok: false }] }, schema, { nullsAllowed: true })
    assert.equal(t.getChild('n')!.nullCount, 2)
    assert.equal(t.getChild('ok')!.nullCount, 1)
    assert.deepEqual(tableToColumnsJson(t), { columns: { n: [1, null, null], ok: [true, null, false] } })
  })

  it('accepts int64 as safe numbers, decimal strings and bigints', async () => {
    const schema = parseSchema([{ name: 'n', type: 'int64' }, { name: 'u', type: 'uint64' }])
    const t = await readTable({ kind: 'json', value: { columns: { n: [1, '-9007199254740993', 5n], u: ['18446744073709551615', 0, 2n ** 63n] } } }, schema)
    assert.deepEqual(Array.from(t.getChild('n')!.toArray() as BigInt64Array), [1n, -9007199254740993n, 5n])
    assert.deepEqual(tableToColumnsJson(t).columns.u, ['18446744073709551615', 0, '9223372036854775808'])
  })

  it('accepts timestamps as ISO-8601 text (UTC unless an offset is given) and epoch milliseconds', async () => {
    const schema = parseSchema([{ name: 't', type: 'timestamp[ms]' }])
    const value = { columns: { t: ['2024-01-02', '2024-01-02T03:04:05', '2024-01-02T05:04:05+02:00', 1704164645000, '1704164645000', new Date(5)] } }
    const t = await readTable({ kind: 'json', value }, schema)
    assert.deepEqual(tableToColumnsJson(t).columns.t, [
      '2024-01-02T00:00:00.000Z', '2024-01-02T03:04:05.000Z', '2024-01-02T03:04:05.000Z',
      '2024-01-02T03:04:05.000Z', '2024-01-02T03:04:05.000Z', '1970-01-01T00:00:00.005Z',
    ])
  })

  it('accepts binary as base64 text and as bytes', async () => {
    const schema = parseSchema([{ name: 'b', type: 'binary' }])
    const t = await readTable({ kind: 'json', value: [{ b: 'aGk=' }, { b: new Uint8Array([104, 105]) }, { b: 'aGk' }] }, schema)
    assert.deepEqual(t.getChild('b')!.toArray().map((x: Uint8Array) => Buffer.from(x).toString()), ['hi', 'hi', 'hi'])
  })

  it('writes float32 values as the exact float64 of the float32 and reads "NaN"/"Infinity" back', async () => {
    const schema = parseSchema([{ name: 'x', type: 'float32' }])
    const t = await readTable({ kind: 'json', value: { columns: { x: [0.1, 'NaN', 'Infinity', '-Infinity'] } } }, schema)
    const out = tableToColumnsJson(t).columns.x
    assert.deepEqual(out, [Number(Math.fround(0.1)), 'NaN', 'Infinity', '-Infinity'])
    assert.equal(out[0], 0.10000000149011612)
  })

  it('reads CSV with quoted commas, quotes and newlines, CRLF line ends and a BOM', async () => {
    const schema = parseSchema([{ name: 'id', type: 'int32' }, { name: 'note', type: 'string' }, { name: 'score', type: 'float64' }])
    const csv = '\ufeffid,note,score\r\n1,"a, b",0.5\r\n2,"say ""hi""\nthen go",-1e3\r\n3,,2\r\n'
    const t = await readTable({ kind: 'csv', text: csv }, schema, { nullsAllowed: true })
    assert.deepEqual(tableToRecordsJson(t), [
      { id: 1, note: 'a, b', score: 0.5 }, { id: 2, note: 'say "hi"\nthen go', score: -1000 }, { id: 3, note: null, score: 2 },
    ])
  })

  it('reads a struct and variable lists from JSON', async () => {
    const schema = parseSchema([{ name: 'p', type: { struct: [{ name: 'x', type: 'int32' }, { name: 'ys', type: { list: 'float64', size: null } }] } }])
    const t = await readTable({ kind: 'json', value: [{ p: { x: 1, ys: [1, 2] } }, { p: { x: 2, ys: [] } }] }, schema)
    assert.deepEqual(tableToRecordsJson(t), [{ p: { x: 1, ys: [1, 2] } }, { p: { x: 2, ys: [] } }])
  })
})
