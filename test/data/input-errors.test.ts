import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import * as arrow from 'apache-arrow'
import type { InferInput } from '../../src/data/infer-input.js'
import { readTable } from '../../src/data/table-input.js'
import { writeTable } from '../../src/data/table-output.js'
import { type ModelSchema, parseSchema } from '../../src/data/schema.js'
import { isQuiverError } from '../../src/errors.js'

interface Expect {
  field?: string
  row?: number
  expected?: string
  got?: string | RegExp
  message: string | RegExp
}

async function refuses(input: InferInput, schema: ModelSchema, want: Expect, nullsAllowed = false): Promise<void> {
  await assert.rejects(readTable(input, schema, { nullsAllowed }), (err: unknown) => {
    assert.ok(isQuiverError(err), `not a QuiverError: ${String(err)}`)
    assert.equal(err.code, 'invalid_input')
    if (typeof want.message === 'string') assert.equal(err.message, want.message)
    else assert.match(err.message, want.message)
    const d = err.details ?? {}
    if (want.field !== undefined) assert.equal(d.field, want.field)
    if (want.row !== undefined) {
      assert.equal(d.row, want.row)
      assert.match(err.message, new RegExp(`\\brow ${want.row}\\b`))
    }
    if (want.expected !== undefined) assert.equal(d.expected, want.expected)
    if (want.got instanceof RegExp) assert.match(String(d.got), want.got)
    else if (want.got !== undefined) assert.equal(d.got, want.got)
    return true
  })
}

const json = (value: unknown): InferInput => ({ kind: 'json', value })
const FEATURES = parseSchema([{ name: 'features', type: { list: 'float32', size: 4 }, nullable: false }])
const XY = parseSchema([{ name: 'x', type: 'float32' }, { name: 'n', type: 'int64' }])

describe('readTable refuses bad input before any model runs', () => {
  it('names a missing field', async () => {
    const want = { field: 'n', got: 'missing', message: "input is missing field 'n' (expected int64)" }
    await refuses(json({ columns: { x: [1] } }), XY, want)
    await refuses(json([{ x: 1 }, { x: 2 }]), XY, want)
    await refuses({ kind: 'csv', text: 'x\n1\n' }, XY, want)
    await refuses({ kind: 'table', table: arrow.tableFromArrays({ x: new Float32Array([1]) }) }, XY, want)
  })

  it('refuses an extra field and names it (and its row for records)', async () => {
    await refuses(json({ columns: { x: [1], n: [1], z: [0] } }), XY, { field: 'z', message: /^input has field 'z' that the schema does not have; expected fields: x, n$/ })
    await refuses(json([{ x: 1, n: 1 }, { x: 1, n: 2 }, { x: 1, n: 3, zz: true }]), XY, { field: 'zz', row: 2, message: /field 'zz' \(row 2\)/ })
    await refuses({ kind: 'csv', text: 'x,n,extra\n1,2,3\n' }, XY, { field: 'extra', message: /input has field 'extra'/ })
  })

  it('refuses a string where float32 is expected', async () => {
    await refuses(json([{ x: 1, n: 1 }, { x: 'abc', n: 1 }]), XY, {
      field: 'x', row: 1, expected: 'float32', got: 'string "abc"', message: `field 'x' row 1: expected float32, got string "abc"`,
    })
  })

  it('refuses a float where int64 is expected and a fractional value for any int', async () => {
    await refuses(json({ columns: { x: [1, 2], n: [1, 2.5] } }), XY, {
      field: 'n', row: 1, expected: 'int64', got: 'fractional value 2.5', message: "field 'n' row 1: expected int64, got fractional value 2.5",
    })
    const i8 = parseSchema([{ name: 'k', type: 'int8' }])
    await refuses(json([{ k: 0.5 }]), i8, { field: 'k', row: 0, got: 'fractional value 0.5', message: /expected int8/ })
  })

  it('refuses a fixed-size list of the wrong size', async () => {
    await refuses(json({ columns: { features: [[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3]] } }), FEATURES, {
      field: 'features', row: 2, expected: 'list of 4 float32', got: '3 values',
      message: "field 'features' row 2: expected list of 4 float32, got 3 values",
    })
    await refuses(json([{ features: [1, 2, 3, 4, 5] }]), FEATURES, { field: 'features', row: 0, got: '5 values', message: /got 5 values$/ })
    await refuses(json([{ features: 1.5 }]), FEATURES, { field: 'features', row: 0, got: 'number 1.5', message: /expected list of 4 float32, got number 1.5/ })
  })

  it('refuses nested lists', async () => {
    await refuses(json({ columns: { features: [[[1, 2], [3, 4], [5, 6], [7, 8]]] } }), FEATURES, {
      field: 'features', row: 0, got: 'a nested list at position 0', message: /expected list of 4 float32, got a nested list at position 0/,
    })
    const scalar = parseSchema([{ name: 'x', type: 'float64' }])
    await refuses(json([{ x: 1 }, { x: [1, 2] }]), scalar, { field: 'x', row: 1, got: 'a list of 2 values', message: /expected float64, got a list of 2 values/ })
  })

  it('refuses a value of another type within a tensor column', async () => {
    await refuses(json({ columns: { features: [[1, 2, 3, 4], [1, 2, true, 4]] } }), FEATURES, {
      field: 'features', row: 1, got: 'boolean true at position 2', message: /row 1: expected list of 4 float32, got boolean true at position 2/,
    })
    await refuses(json({ columns: { features: [[1, 2, 3, 4], [1, '2', 3, 4]] } }), FEATURES, { field: 'features', row: 1, got: 'string "2" at position 1', message: /string "2"/ })
  })

  it('refuses every null for native runtimes and non-nullable nulls otherwise', async () => {
    const nullable = parseSchema([{ name: 'x', type: 'float32', nullable: true }, { name: 'y', type: 'int32', nullable: false }])
    await refuses(json([{ x: 1, y: 1 }, { x: null, y: 2 }]), nullable, {
      field: 'x', row: 1, got: 'null', message: "field 'x' row 1: expected float32, got null (this runtime accepts no nulls)",
    })
    await refuses(json([{ x: null, y: 1 }, { x: 1, y: null }]), nullable, {
      field: 'y', row: 1, got: 'null', message: "field 'y' row 1: expected int32, got null (the field is not nullable)",
    }, true)
    const ok = await readTable(json([{ x: null, y: 1 }]), nullable, { nullsAllowed: true })
    assert.equal(ok.getChild('x')!.nullCount, 1)
    await refuses(json([{ features: [1, null, 3, 4] }]), FEATURES, { field: 'features', row: 0, got: 'null at position 1', message: /got null at position 1/ })
    // a record without the key is a null in that row
    await refuses(json([{ x: 1, y: 1 }, { y: 2 }]), nullable, { field: 'x', row: 1, got: 'null', message: /row 1/ })
  })

  it('refuses input without rows in every form', async () => {
    const want = { message: 'input has no rows' }
    await refuses(json([]), XY, want)
    await refuses(json({ columns: { x: [], n: [] } }), XY, want)
    await refuses({ kind: 'csv', text: 'x,n\n' }, XY, want)
    const empty = new arrow.Table({ x: arrow.makeVector(new Float32Array(0)), n: arrow.makeVector(new BigInt64Array(0)) })
    await refuses({ kind: 'table', table: empty }, XY, want)
    await refuses({ kind: 'arrow', bytes: arrow.tableToIPC(empty, 'stream') }, XY, want)
    await refuses({ kind: 'parquet', bytes: await writeTable(empty, 'parquet') }, XY, want)
  })

  it('refuses columns of different lengths', async () => {
    await refuses(json({ columns: { x: [1, 2, 3], n: [1, 2] } }), XY, {
      field: 'n', row: 2, expected: '3 values', got: '2 values',
      message: "field 'n' has 2 values but field 'x' has 3; all columns must have the same length (row 2 is missing in one of them)",
    })
  })

  it('refuses integers that overflow the target width', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['int8', 128, /out of the int8 range -128\.\.127/],
      ['uint8', -1, /out of the uint8 range 0\.\.255/],
      ['int16', -32769, /int16/],
      ['uint16', 65536, /uint16/],
      ['int32', 2 ** 31, /int32/],
      ['uint32', 2 ** 32, /uint32/],
      ['int64', '9223372036854775808', /out of the int64 range/],
      ['uint64', -1, /out of the uint64 range/],
      ['int64', 2 ** 53 + 2, /beyond ±2\^53 is not exact; send int64 values that large as decimal strings/],
    ]
    for (const [type, value, msg] of cases) {
      const schema = parseSchema([{ name: 'v', type }])
      await refuses(json({ columns: { v: [0, value] } }), schema, { field: 'v', row: 1, expected: type, message: msg })
    }
  })

  it('refuses floats beyond float32 and float16 range', async () => {
    await refuses(json([{ x: 1e300, n: 1 }]), XY, { field: 'x', row: 0, message: /out of the float32 range/ })
    await refuses(json([{ h: 1e6 }]), parseSchema([{ name: 'h', type: 'float16' }]), { field: 'h', row: 0, message: /out of the float16 range/ })
  })

  it('refuses bad timestamps, base64, booleans and strings', async () => {
    await refuses(json([{ t: 'yesterday' }]), parseSchema([{ name: 't', type: 'timestamp[ms]' }]), { field: 't', row: 0, got: 'string "yesterday"', message: /ISO-8601/ })
    await refuses(json([{ t: 1.5 }]), parseSchema([{ name: 't', type: 'timestamp[ms]' }]), { field: 't', row: 0, message: /fractional/ })
    await refuses(json([{ b: 'not base64!' }]), parseSchema([{ name: 'b', type: 'binary' }]), { field: 'b', row: 0, message: /base64/ })
    await refuses(json([{ b: 'true' }]), parseSchema([{ name: 'b', type: 'bool' }]), { field: 'b', row: 0, got: 'string "true"', message: /expected bool/ })
    await refuses(json([{ s: 5 }]), parseSchema([{ name: 's', type: 'string' }]), { field: 's', row: 0, got: 'number 5', message: /expected string, got number 5/ })
  })

  it('refuses bad structs with the nested field path', async () => {
    const schema = parseSchema([{ name: 'p', type: { struct: [{ name: 'x', type: 'float64', nullable: false }] } }])
    await refuses(json([{ p: { x: 1 } }, { p: { x: 1, z: 2 } }]), schema, { field: 'p', row: 1, got: "an object with unknown field 'z'", message: /unknown field 'z'/ })
    await refuses(json([{ p: { x: 1 } }, { p: {} }]), schema, { field: 'p.x', row: 1, got: 'null', message: /field 'p\.x' row 1/ }, true)
    await refuses(json([{ p: [1] }]), schema, { field: 'p', row: 0, message: /expected struct<x: float64>, got a list of 1 value/ })
  })

  it('refuses malformed JSON shapes', async () => {
    await refuses(json({ x: [1] }), XY, { message: /JSON input must be records .* or \{"columns"/ })
    await refuses(json([{ x: 1, n: 1 }, 5]), XY, { row: 1, message: 'row 1: expected a JSON object (one record), got number 5' })
    await refuses(json({ columns: { x: [1], n: 3 } }), XY, { field: 'n', message: /expected an array of column values/ })
  })

  it('names the row and field of a bad CSV cell', async () => {
    const schema = parseSchema([{ name: 'id', type: 'int32' }, { name: 'score', type: 'float64' }])
    await refuses({ kind: 'csv', text: 'id,score\n1,0.5\n2,abc\n' }, schema, {
      field: 'score', row: 1, got: 'string "abc"', message: `field 'score' row 1: expected float64, got string "abc"`,
    })
    await refuses({ kind: 'csv', text: 'id,score\n1,0.5\n2,1,3\n' }, schema, { row: 1, message: 'CSV input row 1: expected 2 cells like the header, got 3' })
    await refuses({ kind: 'csv', text: 'id,score\n1,"0.5\n' }, schema, { message: 'CSV input row 0: a quoted cell is not closed' })
    await refuses({ kind: 'csv', text: 'id,score\n1,"0.5"x\n' }, schema, { message: /CSV input row 0: unexpected text after a closing quote/ })
    await refuses({ kind: 'csv', text: '' }, schema, { message: /CSV input is empty/ })
    await refuses({ kind: 'csv', text: 'id,id\n1,2\n' }, schema, { field: 'id', message: "CSV header names field 'id' twice" })
  })

  it('refuses unreadable Arrow and Parquet bytes', async () => {
    await refuses({ kind: 'arrow', bytes: new Uint8Array(0) }, XY, { message: /Arrow IPC input is empty/ })
    await refuses({ kind: 'arrow', bytes: new TextEncoder().encode('ARROW1 but not really an arrow file at all') }, XY, { message: /^input is not valid Arrow IPC file data: / })
    await refuses({ kind: 'arrow', bytes: new TextEncoder().encode('{"x": 1}') }, XY, { message: /^input is not valid Arrow IPC stream data: / })
    await refuses({ kind: 'parquet', bytes: new TextEncoder().encode('PAR1 nope') }, XY, { message: /^input is not a readable Parquet file: / })
  })
})
