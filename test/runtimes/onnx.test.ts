import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import * as arrow from 'apache-arrow'
import { OnnxRuntime } from '../../src/runtimes/onnx/onnx-runtime.js'
import { parseSchema } from '../../src/data/schema.js'
import { IRIS_DIR, ONNX_DIR, columnValues, context, fsl, identityTypesInput, version } from './onnx-helpers.js'

const runtime = new OnnxRuntime()

async function load(file: string, opts: Parameters<typeof version>[1] = {}) {
  const dir = file === 'model.onnx' ? IRIS_DIR : ONNX_DIR
  return runtime.load(version(file, opts), context(join(dir, file)))
}

async function irisCase() {
  const read = async (f: string) => JSON.parse(await readFile(join(IRIS_DIR, f), 'utf8'))
  const [kase, input, expected] = await Promise.all([read('case.json'), read('input.json'), read('expected.json')])
  const table = new arrow.Table({ features: arrow.vectorFromArray(input.columns.features, fsl(4, new arrow.Float32())) })
  return { kase, table, expected: expected.columns.species_probs as number[][] }
}

function assertClose(got: number[][], expected: number[][], tol: { abs: number; rel: number }) {
  assert.equal(got.length, expected.length)
  got.forEach((row, r) => row.forEach((v, i) => {
    const e = expected[r]![i]!
    assert.ok(Math.abs(v - e) <= tol.abs + tol.rel * Math.abs(e), `row ${r} [${i}]: got ${v}, expected ${e}`)
  }))
}

test('onnx runtime supports framework onnx only', async () => {
  assert.deepEqual(await runtime.supports(version('model.onnx')), { ok: true })
  const other = await runtime.supports({ ...version('model.pkl'), framework: 'sklearn' })
  assert.equal(other.ok, false)
  assert.match((other as { reason: string }).reason, /'sklearn'/)
  assert.equal(runtime.name, 'onnx')
  assert.equal(runtime.kind, 'native')
})

test('iris MLP: schemas read from the graph match the fixture and outputs match the reference', async () => {
  const { kase, table, expected } = await irisCase()
  const session = await load('model.onnx')
  try {
    assert.deepEqual(session.inputSchema, kase.input_schema)
    assert.deepEqual(session.outputSchema, kase.output_schema)
    const out = await session.infer(table)
    assert.equal(out.numRows, table.numRows)
    assert.deepEqual(out.schema.fields.map((f) => f.name), ['species_probs'])
    assertClose(columnValues(out, 'species_probs') as number[][], expected, kase.tolerance)
  } finally {
    await session.close()
  }
})

test('iris MLP with the schemas given explicitly, on a table of several record batches', async () => {
  const { kase, table, expected } = await irisCase()
  const session = await load('model.onnx', { input: parseSchema(kase.input_schema), output: parseSchema(kase.output_schema) })
  const chunked = new arrow.Table([...table.slice(0, 5).batches, ...table.slice(5).batches])
  assert.equal(chunked.batches.length, 2)
  const out = await session.infer(chunked)
  assertClose(columnValues(out, 'species_probs') as number[][], expected, kase.tolerance)
  await session.close()
})

test('two inputs and two outputs, in graph order', async () => {
  const session = await load('two-in-two-out.onnx')
  assert.deepEqual(session.inputSchema.map((f) => f.name), ['a', 'b'])
  const t3 = fsl(3, new arrow.Float32())
  const out = await session.infer(new arrow.Table({
    a: arrow.vectorFromArray([[1, 2, 3], [4, 5, 6]], t3),
    b: arrow.vectorFromArray([[10, 20, 30], [40, 50, 60]], t3),
  }))
  assert.deepEqual(out.schema.fields.map((f) => f.name), ['sum', 'diff'])
  assert.deepEqual(columnValues(out, 'sum'), [[11, 22, 33], [44, 55, 66]])
  assert.deepEqual(columnValues(out, 'diff'), [[-9, -18, -27], [-36, -45, -54]])
  await session.close()
})

test('an output schema naming some outputs fetches only those', async () => {
  const session = await load('two-in-two-out.onnx', { output: parseSchema([{ name: 'diff', type: { list: 'float32', size: 3 } }]) })
  const t3 = fsl(3, new arrow.Float32())
  const out = await session.infer(new arrow.Table({ a: arrow.vectorFromArray([[1, 1, 1]], t3), b: arrow.vectorFromArray([[2, 2, 2]], t3) }))
  assert.deepEqual(out.schema.fields.map((f) => f.name), ['diff'])
  assert.deepEqual(columnValues(out, 'diff'), [[-1, -1, -1]])
  await session.close()
})

test('int64, float64, bool, string, int32, uint8, int8, int16 and float16 tensors pass through', async () => {
  const session = await load('identity-types.onnx')
  assert.deepEqual(session.inputSchema.map((f) => [f.name, f.type]), [
    ['i64', { list: 'int64', size: 2 }], ['f64', 'float64'], ['flag', 'bool'], ['text', 'string'], ['i32', 'int32'],
    ['u8', { list: 'uint8', size: 3 }], ['i8', 'int8'], ['i16', 'int16'], ['f16', { list: 'float16', size: 2 }],
  ])
  const input = identityTypesInput()
  const out = await session.infer(input)
  assert.deepEqual(columnValues(out, 'out_i64'), [[1n, -2n], [9007199254740993n, 4n]])
  assert.deepEqual(columnValues(out, 'out_f64'), [0.1, -2.5])
  assert.deepEqual(columnValues(out, 'out_flag'), [true, false])
  assert.deepEqual(columnValues(out, 'out_text'), ['héllo', ''])
  assert.deepEqual(columnValues(out, 'out_i32'), [-7, 2147483647])
  assert.deepEqual(columnValues(out, 'out_u8'), [[0, 128, 255], [1, 2, 3]])
  assert.deepEqual(columnValues(out, 'out_i8'), [-128, 127])
  assert.deepEqual(columnValues(out, 'out_i16'), [-300, 300])
  assert.deepEqual(columnValues(out, 'out_f16'), [[1, 2], [-2, 0]])
  assert.equal(String(out.getChild('out_i64')!.type), 'FixedSizeList[2]<Int64>')
  await session.close()
})

test('a 3-D input maps to nested fixed-size lists both ways', async () => {
  const session = await load('cube.onnx')
  const cube = { list: { list: 'float32', size: 4 }, size: 3 }
  assert.deepEqual(session.inputSchema, [{ name: 'x', type: cube, nullable: false }])
  assert.deepEqual(session.outputSchema.map((f) => f.type), [
    { list: { list: 'float64', size: 4 }, size: 3 },
    { list: { list: 'float32', size: 2 }, size: 3 },
  ])
  const rows = [0, 1].map((r) => [0, 1, 2].map((i) => [0, 1, 2, 3].map((j) => r * 100 + i * 10 + j)))
  const out = await session.infer(new arrow.Table({ x: arrow.vectorFromArray(rows, fsl(3, fsl(4, new arrow.Float32()))) }))
  assert.deepEqual(columnValues(out, 'wide'), rows)
  // w = [[1,0],[0,1],[1,0],[0,1]]: projected = [x0 + x2, x1 + x3]
  assert.deepEqual(columnValues(out, 'projected'), rows.map((m) => m.map((v) => [v[0]! + v[2]!, v[1]! + v[3]!])))
  await session.close()
})

test('a flat list schema of the same size feeds a 3-D graph input', async () => {
  const session = await load('cube.onnx', { input: parseSchema([{ name: 'x', type: { list: 'float32', size: 12 } }]) })
  const flat = Array.from({ length: 12 }, (_, i) => i)
  const out = await session.infer(new arrow.Table({ x: arrow.vectorFromArray([flat], fsl(12, new arrow.Float32())) }))
  assert.deepEqual(columnValues(out, 'wide'), [[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]])
  await session.close()
})

test('a graph with a fixed batch of 1 runs row by row', async () => {
  const session = await load('fixed-batch.onnx')
  assert.equal(session.fixedBatch, 1)
  assert.deepEqual(session.inputSchema, [{ name: 'x', type: { list: 'float32', size: 4 }, nullable: false }])
  const out = await session.infer(new arrow.Table({ x: arrow.vectorFromArray([[1, 2, 3, 4], [5, 6, 7, 8], [0, 0, 0, 1]], fsl(4, new arrow.Float32())) }))
  assert.equal(out.numRows, 3)
  assert.deepEqual(columnValues(out, 'twice'), [[2, 4, 6, 8], [10, 12, 14, 16], [0, 0, 0, 2]])
  await session.close()
})

test('tensor_fields renames the graph inputs in order', async () => {
  const session = await load('concat.onnx', { config: { tensor_fields: ['first', 'second'] } })
  assert.deepEqual(session.inputSchema.map((f) => f.name), ['first', 'second'])
  const out = await session.infer(new arrow.Table({
    first: arrow.vectorFromArray([[1n, 2n]], fsl(2, new arrow.Int64())),
    second: arrow.vectorFromArray([[3n, 4n, 5n]], fsl(3, new arrow.Int64())),
  }))
  assert.deepEqual(columnValues(out, 'joined'), [[1n, 2n, 3n, 4n, 5n]])
  await session.close()
  await assert.rejects(load('concat.onnx', { config: { tensor_fields: ['only'] } }), (e: any) =>
    e.code === 'invalid_input' && /tensor_fields names 1 field\(s\) but the graph has 2 input\(s\) \('left', 'right'\)/.test(e.message))
  await assert.rejects(load('concat.onnx', { config: { tensor_fields: ['x', 'x'] } }), /tensor_fields names 'x' twice/)
  await assert.rejects(
    load('concat.onnx', { config: { tensor_fields: ['p', 'q'] }, input: parseSchema([{ name: 'left', type: { list: 'int64', size: 2 } }]) }),
    /input schema field 'left' is not an input of the graph; its inputs are 'p', 'q' \(after tensor_fields\)/,
  )
})

test('symbolic inner dims become variable lists that take equal-length rows', async () => {
  const session = await load('sequence.onnx')
  assert.deepEqual(session.inputSchema[0]!.type, { list: 'float32', size: null })
  const list = new arrow.List(new arrow.Field('item', new arrow.Float32(), true))
  const out = await session.infer(new arrow.Table({ tokens: arrow.vectorFromArray([[1, 2, 3], [4, 5, 6]], list) }))
  assert.deepEqual(columnValues(out, 'doubled'), [[2, 4, 6], [8, 10, 12]])
  assert.equal(out.getChild('doubled')!.type.typeId, arrow.Type.List)
  await assert.rejects(session.infer(new arrow.Table({ tokens: arrow.vectorFromArray([[1, 2], [3]], list) })), (e: any) =>
    e.code === 'invalid_input' && e.details.field === 'tokens' && e.details.row === 1)
  await session.close()
})
