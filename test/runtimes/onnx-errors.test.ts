import { test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as arrow from 'apache-arrow'
import { OnnxRuntime } from '../../src/runtimes/onnx/onnx-runtime.js'
import { parseSchema } from '../../src/data/schema.js'
import { TEST_MODELS, buildOnnxModel } from '../fixtures/onnx/build-onnx.js'
import { IRIS_DIR, ONNX_DIR, columnValues, context, fsl, version } from './onnx-helpers.js'

const runtime = new OnnxRuntime()
const IRIS = join(IRIS_DIR, 'model.onnx')
const F32x4 = { list: 'float32', size: 4 }

async function withTemp(fn: (dir: string) => Promise<void>) {
  const dir = await mkdtemp(join(tmpdir(), 'quiver-onnx-'))
  try {
    await fn(dir)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

test('the committed test models are exactly what build-onnx.ts writes', async () => {
  for (const [file, spec] of Object.entries(TEST_MODELS)) {
    assert.deepEqual(new Uint8Array(await readFile(join(ONNX_DIR, file))), buildOnnxModel(spec), file)
  }
})

test('a truncated or empty model file is refused in one sentence naming the file', async () => {
  await withTemp(async (dir) => {
    const bytes = await readFile(IRIS)
    const truncated = join(dir, 'cut')
    await writeFile(truncated, bytes.subarray(0, 200))
    await assert.rejects(runtime.load(version('model.onnx'), context(truncated)), (e: any) =>
      e.code === 'invalid_input' && /^model\.onnx is not a valid ONNX model: Protobuf parsing failed( \(.*\))?\.?$/.test(e.message))
    const empty = join(dir, 'empty')
    await writeFile(empty, '')
    await assert.rejects(runtime.load(version('weights.onnx'), context(empty)), (e: any) =>
      e.code === 'invalid_input' && /^weights\.onnx is not a valid ONNX model: ModelProto does not have a graph\.$/.test(e.message))
  })
})

test('an archive is searched for model.onnx', async () => {
  await withTemp(async (dir) => {
    await mkdir(join(dir, 'sub'))
    await copyFile(IRIS, join(dir, 'sub', 'iris.onnx'))
    const v = version('bundle.zip', { config: { archive: true } })
    const session = await runtime.load(v, context('/nonexistent', dir))
    assert.deepEqual(session.inputSchema.map((f) => f.name), ['features'])
    await session.close()
    await copyFile(IRIS, join(dir, 'other.onnx'))
    await assert.rejects(runtime.load(v, context('/nonexistent', dir)), /bundle\.zip holds 2 \.onnx files .*name the model model\.onnx/)
  })
})

test('given schemas that do not fit the graph are refused naming field, expected and got', async () => {
  const load = (input?: unknown, output?: unknown) =>
    runtime.load(version('model.onnx', { input: input ? parseSchema(input) : undefined, output: output ? parseSchema(output) : undefined }), context(IRIS))
  await assert.rejects(load([{ name: 'features', type: { list: 'float64', size: 4 } }]), (e: any) =>
    e.code === 'invalid_input' && e.details.field === 'features' &&
    e.message === "input schema field 'features' is list<float64>[4] but graph input 'features' is float32 tensors of shape [batch, 4]")
  await assert.rejects(load([{ name: 'features', type: { list: 'float32', size: 3 } }]), /is list<float32>\[3\] but graph input 'features' is float32 tensors of shape \[batch, 4\]/)
  await assert.rejects(load([{ name: 'inputs', type: F32x4 }]), /input schema field 'inputs' is not an input of the graph; its inputs are 'features'$/)
  await assert.rejects(load([{ name: 'features', type: 'timestamp[ms]' }]), /is timestamp\[ms\] but graph input/)
  await assert.rejects(load(undefined, [{ name: 'probs', type: { list: 'float32', size: 3 } }]), /output schema field 'probs' is not an output of the graph; its outputs are 'species_probs'/)
  await assert.rejects(
    runtime.load(version('two-in-two-out.onnx', { input: parseSchema([{ name: 'a', type: { list: 'float32', size: 3 } }]) }), context(join(ONNX_DIR, 'two-in-two-out.onnx'))),
    (e: any) => e.details.field === 'b' && /input schema lacks field 'b' for graph input 'b' \(float32 tensors of shape \[batch, 3\]\)/.test(e.message),
  )
})

test('an onnxruntime error while running becomes RuntimeFailure with its message', async () => {
  const session = await runtime.load(version('broadcast-fail.onnx'), context(join(ONNX_DIR, 'broadcast-fail.onnx')))
  const list = new arrow.List(new arrow.Field('item', new arrow.Float32(), true))
  await assert.rejects(
    session.infer(new arrow.Table({ a: arrow.vectorFromArray([[1, 2, 3]], list), b: arrow.vectorFromArray([[1, 2]], list) })),
    (e: any) => e.code === 'runtime_failure' && /^model 'broadcast-fail' failed in onnxruntime: .*Add/.test(e.message) && !e.message.includes('\n'),
  )
  const ok = await session.infer(new arrow.Table({ a: arrow.vectorFromArray([[1, 2]], list), b: arrow.vectorFromArray([[3, 4]], list) }))
  assert.deepEqual(columnValues(ok, 'sum'), [[4, 6]])
  await session.close()
})

test('an output with fewer rows than the input, though its graph declares them, is a RuntimeFailure saying so', async () => {
  const session = await runtime.load(version('collapse-rows.onnx'), context(join(ONNX_DIR, 'collapse-rows.onnx')))
  const x = arrow.vectorFromArray([[1, 2, 3], [4, 5, 6]], fsl(3, new arrow.Float32()))
  await assert.rejects(session.infer(new arrow.Table({ x })), (e: any) =>
    e.code === 'runtime_failure' && e.message === "model 'collapse-rows' returned 1 row(s) in output 'total' for 2 input row(s): its graph declares the first axis as rows, " +
      'but this output does not keep one row per input row, so the model cannot be served row by row')
  await session.close()
})

test('input columns of the wrong type or shape, or missing, are InvalidInput', async () => {
  const session = await runtime.load(version('model.onnx'), context(IRIS))
  await assert.rejects(session.infer(new arrow.Table({ features: arrow.vectorFromArray([[1, 2, 3, 4]], fsl(4, new arrow.Float64())) })), (e: any) =>
    e.code === 'invalid_input' && e.message === "field 'features' holds float64 values but graph input 'features' takes float32")
  await assert.rejects(session.infer(new arrow.Table({ features: arrow.vectorFromArray([[1, 2, 3]], fsl(3, new arrow.Float32())) })),
    /field 'features' has per-row shape \[3\] but graph input 'features' takes float32 tensors of shape \[batch, 4\]/)
  await assert.rejects(session.infer(new arrow.Table({ other: arrow.vectorFromArray([1], new arrow.Float32()) })), /input has no field 'features'/)
  await assert.rejects(session.infer(new arrow.Table({ features: arrow.vectorFromArray([[1, 2, 3, 4], [1, null, 3, 4]], fsl(4, new arrow.Float32())) })),
    (e: any) => e.details.row === 1 && /row 1 is null/.test(e.message))
  await session.close()
  await assert.rejects(session.infer(new arrow.Table({ features: arrow.vectorFromArray([[1, 2, 3, 4]], fsl(4, new arrow.Float32())) })), /was unloaded/)
})

test('zero input rows give an empty table with the output schema, without running the model', async () => {
  const session = await runtime.load(version('identity-types.onnx'), context(join(ONNX_DIR, 'identity-types.onnx')))
  // Columns of the wrong type are never read when there are no rows.
  const empty = new arrow.Table(Object.fromEntries(session.inputSchema.map((f) => [f.name, arrow.vectorFromArray([], new arrow.Float32())])))
  assert.equal(empty.numRows, 0)
  const out = await session.infer(empty)
  assert.equal(out.numRows, 0)
  assert.deepEqual(out.schema.fields.map((f) => f.name), session.outputSchema.map((f) => f.name))
  assert.equal(String(out.getChild('out_u8')!.type), 'FixedSizeList[3]<Uint8>')
  await session.close()
})

test('a fixed batch larger than one needs a multiple of its rows', async () => {
  await withTemp(async (dir) => {
    const spec = structuredClone(TEST_MODELS['fixed-batch.onnx']!)
    spec.inputs[0]!.shape = [2, 4]
    spec.outputs[0]!.shape = [2, 4]
    const path = join(dir, 'pair.onnx')
    await writeFile(path, buildOnnxModel(spec))
    const session = await runtime.load(version('pair.onnx'), context(path))
    assert.equal(session.fixedBatch, 2)
    const rows = (n: number) => arrow.vectorFromArray(Array.from({ length: n }, (_, i) => [i, i, i, i]), fsl(4, new arrow.Float32()))
    const out = await session.infer(new arrow.Table({ x: rows(4) }))
    assert.deepEqual(columnValues(out, 'twice'), [[0, 0, 0, 0], [2, 2, 2, 2], [4, 4, 4, 4], [6, 6, 6, 6]])
    assert.equal(out.batches.length, 2)
    await assert.rejects(session.infer(new arrow.Table({ x: rows(3) })), (e: any) =>
      e.code === 'invalid_input' && /runs exactly 2 rows at a time .* 3 rows is not a multiple of 2/.test(e.message))
    await session.close()
  })
})

test('graphs without declared shapes need schemas, and take them', async () => {
  await withTemp(async (dir) => {
    const spec = structuredClone(TEST_MODELS['two-in-two-out.onnx']!)
    for (const v of [...spec.inputs, ...spec.outputs]) v.shape = null
    const path = join(dir, 'shapeless.onnx')
    await writeFile(path, buildOnnxModel(spec))
    await assert.rejects(runtime.load(version('shapeless.onnx'), context(path)), /graph input 'a' declares no shape, so its schema cannot be read from the model; give an input schema/)
    const f2 = { list: 'float32', size: 2 }
    const session = await runtime.load(version('shapeless.onnx', {
      input: parseSchema([{ name: 'a', type: f2 }, { name: 'b', type: f2 }]),
      output: parseSchema([{ name: 'sum', type: f2 }]),
    }), context(path))
    const out = await session.infer(new arrow.Table({ a: arrow.vectorFromArray([[1, 2]], fsl(2, new arrow.Float32())), b: arrow.vectorFromArray([[3, 4]], fsl(2, new arrow.Float32())) }))
    assert.deepEqual(columnValues(out, 'sum'), [[4, 6]])
    await session.close()
  })
})

test('outputs that are not tensors are left out of a derived schema and refused when named', async () => {
  const path = join(ONNX_DIR, 'with-sequence.onnx')
  const session = await runtime.load(version('with-sequence.onnx'), context(path))
  assert.deepEqual(session.outputSchema.map((f) => f.name), ['y'])
  const out = await session.infer(new arrow.Table({ x: arrow.vectorFromArray([[1, 2, 3]], fsl(3, new arrow.Float32())) }))
  assert.deepEqual(columnValues(out, 'y'), [[1, 2, 3]])
  await session.close()
  await assert.rejects(
    runtime.load(version('with-sequence.onnx', { output: parseSchema([{ name: 'parts', type: { list: 'float32', size: 3 } }]) }), context(path)),
    (e: any) => e.code === 'unsupported' && /graph output 'parts' is not a tensor \(a sequence or map\)/.test(e.message),
  )
})
