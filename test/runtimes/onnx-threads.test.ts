import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import * as arrow from 'apache-arrow'
import { OnnxRuntime, THREAD_MIN_ELEMENTS_ENV } from '../../src/runtimes/onnx/onnx-runtime.js'
import { OnnxThreadPool } from '../../src/runtimes/onnx/onnx-thread-pool.js'
import type { WireTensor } from '../../src/runtimes/onnx/onnx-thread-pool.js'
import { IRIS_DIR, ONNX_DIR, columnValues, context, fsl, identityTypesInput, version } from './onnx-helpers.js'
import { CRASH_EXIT_CODE } from './onnx-crashing-thread.js'

const IRIS = join(IRIS_DIR, 'model.onnx')
const SESSION_OPTIONS = { graphOptimizationLevel: 'all', executionMode: 'sequential' } as const

/** Every run goes to a worker thread. */
const threaded = new OnnxRuntime({ threadMinElements: 0 })
/** No run goes to a worker thread. */
const inThread = new OnnxRuntime({ threadMinElements: Infinity })

function irisRows(rows: number): arrow.Table {
  const values = Float32Array.from({ length: rows * 4 }, (_, i) => 0.5 + ((i * 7919) % 61) / 10)
  const type = fsl(4, new arrow.Float32())
  return new arrow.Table({ features: arrow.makeVector(arrow.makeData({ type, length: rows, nullCount: 0, child: arrow.makeData({ type: new arrow.Float32(), data: values }) })) })
}

function loadIris(runtime: OnnxRuntime) {
  return runtime.load(version('model.onnx'), context(IRIS))
}

/** The flat values under a fixed-size-list column of one chunk. */
function flatValues(table: arrow.Table, name: string): Float32Array {
  const data = table.getChild(name)!.data
  assert.equal(data.length, 1)
  return data[0]!.children[0]!.values as Float32Array
}

test('a run in a worker thread gives exactly what the same run gives on the calling thread', async () => {
  const [a, b] = await Promise.all([loadIris(threaded), loadIris(inThread)])
  for (const rows of [1000, 400_003]) {
    // 400003 rows are 6.4 MB of input, copied to the thread in several steps with a ragged end.
    const input = irisRows(rows)
    const before = flatValues(input, 'features').slice()
    const [viaThread, direct] = await Promise.all([a.infer(input), b.infer(input)])
    assert.equal(viaThread.numRows, rows)
    assert.deepEqual(flatValues(viaThread, 'species_probs'), flatValues(direct, 'species_probs'))
    assert.equal(String(viaThread.getChild('species_probs')!.type), 'FixedSizeList[3]<Float32>')
    // The caller's Arrow buffer was copied, not moved to the thread.
    assert.deepEqual(flatValues(input, 'features'), before)
  }
  assert.equal(a.threadCount, 1)
  assert.equal(b.threadCount, 0)
  await Promise.all([a.close(), b.close()])
})

test('every tensor element type crosses to a thread and back', async () => {
  const session = await threaded.load(version('identity-types.onnx'), context(join(ONNX_DIR, 'identity-types.onnx')))
  const out = await session.infer(identityTypesInput())
  assert.equal(session.threadCount, 1)
  assert.deepEqual(columnValues(out, 'out_i64'), [[1n, -2n], [9007199254740993n, 4n]])
  assert.deepEqual(columnValues(out, 'out_f64'), [0.1, -2.5])
  assert.deepEqual(columnValues(out, 'out_flag'), [true, false])
  assert.deepEqual(columnValues(out, 'out_text'), ['héllo', ''])
  assert.deepEqual(columnValues(out, 'out_i32'), [-7, 2147483647])
  assert.deepEqual(columnValues(out, 'out_u8'), [[0, 128, 255], [1, 2, 3]])
  assert.deepEqual(columnValues(out, 'out_i8'), [-128, 127])
  assert.deepEqual(columnValues(out, 'out_i16'), [-300, 300])
  assert.deepEqual(columnValues(out, 'out_f16'), [[1, 2], [-2, 0]])
  await session.close()
})

test('runs under the element threshold stay on the calling thread, runs at it go to a thread', async () => {
  const runtime = new OnnxRuntime({ threadMinElements: 8 })
  const session = await loadIris(runtime)
  await session.infer(irisRows(1))
  assert.equal(session.threadCount, 0)
  await session.infer(irisRows(2))
  assert.equal(session.threadCount, 1)
  await runtime.dispose()
})

test('onnxruntime errors in a thread become RuntimeFailure and the thread keeps serving', async () => {
  const session = await threaded.load(version('broadcast-fail.onnx'), context(join(ONNX_DIR, 'broadcast-fail.onnx')))
  const list = new arrow.List(new arrow.Field('item', new arrow.Float32(), true))
  await assert.rejects(
    session.infer(new arrow.Table({ a: arrow.vectorFromArray([[1, 2, 3]], list), b: arrow.vectorFromArray([[1, 2]], list) })),
    (e: any) => e.code === 'runtime_failure' && /^model 'broadcast-fail' failed in onnxruntime: .*Add/.test(e.message) && !e.message.includes('\n'),
  )
  const ok = await session.infer(new arrow.Table({ a: arrow.vectorFromArray([[1, 2]], list), b: arrow.vectorFromArray([[3, 4]], list) }))
  assert.deepEqual(columnValues(ok, 'sum'), [[4, 6]])
  assert.equal(session.threadCount, 1)
  await session.close()
})

test('a fixed-batch graph runs once per row through the thread; concurrent calls all answer', async () => {
  const session = await threaded.load(version('fixed-batch.onnx'), context(join(ONNX_DIR, 'fixed-batch.onnx')))
  const x = (k: number) => arrow.vectorFromArray([[k, 2, 3, 4], [5, 6, 7, k]], fsl(4, new arrow.Float32()))
  const outs = await Promise.all([1, 2, 3, 4].map((k) => session.infer(new arrow.Table({ x: x(k) }))))
  outs.forEach((out, i) => {
    const k = i + 1
    assert.deepEqual(columnValues(out, 'twice'), [[2 * k, 4, 6, 8], [10, 12, 14, 2 * k]])
    assert.equal(out.batches.length, 2)
  })
  assert.equal(session.threadCount, 1)
  await session.close()
})

test('close stops the thread: a run in flight and later runs fail as unloaded', async () => {
  const session = await loadIris(threaded)
  await session.infer(irisRows(4))
  assert.equal(session.threadCount, 1)
  const inFlight = assert.rejects(session.infer(irisRows(200_000)), (e: any) => e.code === 'runtime_failure' && e.message === "model 'model' was unloaded")
  await new Promise((r) => setImmediate(r))
  await session.close()
  assert.equal(session.threadCount, 0)
  await inFlight
  await assert.rejects(session.infer(irisRows(4)), /model 'model' was unloaded/)
})

test('dispose closes every session the runtime loaded and stops their threads', async () => {
  const runtime = new OnnxRuntime({ threadMinElements: 0 })
  const sessions = await Promise.all([loadIris(runtime), loadIris(runtime)])
  await Promise.all(sessions.map((s) => s.infer(irisRows(3))))
  assert.deepEqual(sessions.map((s) => s.threadCount), [1, 1])
  await runtime.dispose()
  assert.deepEqual(sessions.map((s) => s.threadCount), [0, 0])
  for (const s of sessions) await assert.rejects(s.infer(irisRows(1)), /was unloaded/)
})

test('a thread that dies fails its run with RuntimeFailure and the next run gets a fresh thread', async () => {
  const pool = new OnnxThreadPool({
    model: 'iris', modelPath: IRIS, sessionOptions: SESSION_OPTIONS,
    entry: new URL('./onnx-crashing-thread.ts', import.meta.url),
  })
  const feeds = (rows: number): WireTensor[] => [{ name: 'features', type: 'float32', data: new Float32Array(rows * 4).fill(1), dims: [rows, 4] }]
  try {
    const first = await pool.run(feeds(2), ['species_probs'])
    assert.deepEqual(first.species_probs!.dims, [2, 3])
    await assert.rejects(pool.run(feeds(2), ['species_probs']), (e: any) =>
      e.code === 'runtime_failure' && e.message === `model 'iris' failed: its onnxruntime thread stopped (exit code ${CRASH_EXIT_CODE})`)
    assert.equal(pool.threadCount, 0)
    const again = await pool.run(feeds(3), ['species_probs'])
    assert.deepEqual(again.species_probs!.dims, [3, 3])
    assert.equal(pool.threadCount, 1)
  } finally {
    await pool.close()
  }
})

test('a model a thread cannot load fails the run naming the model', async () => {
  const pool = new OnnxThreadPool({ model: 'gone', modelPath: join(ONNX_DIR, 'no-such-model.onnx'), sessionOptions: SESSION_OPTIONS })
  await assert.rejects(pool.run([{ name: 'x', type: 'float32', data: new Float32Array(1), dims: [1, 1] }], ['y']), (e: any) =>
    e.code === 'runtime_failure' && /^model 'gone' could not be loaded in its onnxruntime thread: /.test(e.message))
  await pool.close()
})

test(`${THREAD_MIN_ELEMENTS_ENV} sets the threshold and is refused when not a whole number`, async () => {
  const saved = process.env[THREAD_MIN_ELEMENTS_ENV]
  try {
    process.env[THREAD_MIN_ELEMENTS_ENV] = 'lots'
    assert.throws(() => new OnnxRuntime(), (e: any) => e.code === 'invalid_input' &&
      e.message === `${THREAD_MIN_ELEMENTS_ENV} must be a whole number of input values (or Infinity), got 'lots'`)
    process.env[THREAD_MIN_ELEMENTS_ENV] = '0'
    const runtime = new OnnxRuntime()
    const session = await loadIris(runtime)
    await session.infer(irisRows(1))
    assert.equal(session.threadCount, 1)
    await runtime.dispose()
  } finally {
    if (saved === undefined) delete process.env[THREAD_MIN_ELEMENTS_ENV]
    else process.env[THREAD_MIN_ELEMENTS_ENV] = saved
  }
})

test('a process waits for a threaded run, then exits although its session was never closed', () => {
  const script = `
    import { OnnxRuntime } from ${JSON.stringify(new URL('../../src/runtimes/onnx/onnx-runtime.ts', import.meta.url).href)}
    import * as arrow from 'apache-arrow'
    const session = await new OnnxRuntime({ threadMinElements: 0 }).load(
      { id: 1, name: 'iris', version: 'v', framework: 'onnx', file_name: 'model.onnx', sha256: '', input_schema: null, output_schema: null, metadata: {}, additional_files: {}, config: {} },
      { artifactPath: async () => ${JSON.stringify(IRIS)}, extractedPath: async () => '', additionalFilePath: async () => '', progress() {} })
    const type = new arrow.FixedSizeList(4, new arrow.Field('item', new arrow.Float32(), true))
    const features = arrow.makeVector(arrow.makeData({ type, length: 1, nullCount: 0, child: arrow.makeData({ type: new arrow.Float32(), data: new Float32Array([5.1, 3.5, 1.4, 0.2]) }) }))
    session.infer(new arrow.Table({ features })).then((out) => console.log('rows', out.numRows, 'threads', session.threadCount))
  `
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 })
  assert.equal(child.signal, null, `the process did not exit by itself: ${child.stderr}`)
  assert.equal(child.status, 0, child.stderr)
  assert.equal(child.stdout.trim(), 'rows 1 threads 1')
})
