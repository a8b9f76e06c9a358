import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import type { ModelSchema } from '../../src/data/schema.js'
import type { Framework } from '../../src/records/frameworks.js'
import { findPython, probePython } from '../../src/runtimes/python/find-python.js'
import { PythonRuntime } from '../../src/runtimes/python/python-runtime.js'
import { columnValues, contextFor, MODELS_DIR, mismatch, PY_FIXTURES, pythonOr, readCase, tableOf, versionOf } from './python-helpers.js'

const runtime = new PythonRuntime()
after(() => runtime.dispose())

async function load(framework: Framework, artifact: string, input: ModelSchema, output: ModelSchema, config: Record<string, unknown> = {}) {
  const ctx = contextFor(artifact)
  const session = await runtime.load(versionOf(framework, artifact, input, output, config), ctx)
  return { session, ctx }
}

async function failure(p: Promise<unknown>): Promise<Error & { code: string }> {
  try {
    await p
  } catch (err) {
    return err as Error & { code: string }
  }
  assert.fail('expected a failure')
}

const PIPE_IN: ModelSchema = [{ name: 'inputs', type: { list: 'float64', size: 3 }, nullable: false }]
const PIPE_OUT: ModelSchema = [
  { name: 'predictions', type: 'int64', nullable: false },
  { name: 'probabilities', type: { list: 'float64', size: 2 }, nullable: false },
]

describe('sklearn', () => {
  for (const file of ['pipeline.joblib', 'pipeline-zlib.joblib']) {
    test(`a joblib Pipeline (${file}) is scanned, loaded and matches its reference`, async (t) => {
      if (!(await pythonOr(t, ['numpy', 'sklearn', 'joblib']))) return
      const want = JSON.parse(readFileSync(join(PY_FIXTURES, 'pipeline-expected.json'), 'utf8'))
      const { session, ctx } = await load('sklearn', join(PY_FIXTURES, file), PIPE_IN, PIPE_OUT)
      t.after(() => session.close())
      assert.ok(ctx.lines.includes(`${file}: pickle imports checked against the safe list`), ctx.lines.join('\n'))
      const out = await session.infer(tableOf({ inputs: want.inputs }, PIPE_IN))
      assert.deepEqual(columnValues(out, 'predictions'), want.predictions)
      assert.equal(mismatch(columnValues(out, 'probabilities'), want.probabilities, { abs: 1e-12, rel: 1e-9 }), null)
    })
  }

  test('several scalar input fields are stacked in order; scores come from decision_function', async (t) => {
    if (!(await pythonOr(t, ['numpy', 'sklearn']))) return
    const c = readCase('sklearn-logreg-iris')
    const names = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width']
    const input: ModelSchema = names.map((name) => ({ name, type: 'float64', nullable: false }))
    const output: ModelSchema = [{ name: 'predictions', type: 'int64', nullable: false }, { name: 'scores', type: { list: 'float64', size: 3 }, nullable: false }]
    const { session } = await load('sklearn', c.artifact, input, output)
    t.after(() => session.close())
    const rows = c.input.inputs as number[][]
    const cols = Object.fromEntries(names.map((n, i) => [n, rows.map((r) => r[i])]))
    const out = await session.infer(tableOf(cols, input))
    assert.deepEqual(columnValues(out, 'predictions'), c.expected.predictions)
    const scores = columnValues(out, 'scores') as number[][]
    scores.forEach((row, i) => assert.equal(row.indexOf(Math.max(...row)), c.expected.predictions![i]))
  })

  test('an output field no estimator method fills is refused at load, naming it', async (t) => {
    if (!(await pythonOr(t, ['numpy', 'sklearn']))) return
    const c = readCase('sklearn-logreg-iris')
    const output: ModelSchema = [...c.output_schema, { name: 'confidence', type: 'float64', nullable: false }]
    const err = await failure(load('sklearn', c.artifact, c.input_schema, output))
    assert.equal(err.code, 'invalid_input')
    assert.match(err.message, /output field 'confidence' is not one of predictions, probabilities, transform, scores, labels/)
  })

  test('a feature count that differs from training is refused at load', async (t) => {
    if (!(await pythonOr(t, ['numpy', 'sklearn']))) return
    const c = readCase('sklearn-logreg-iris')
    const input: ModelSchema = [{ name: 'inputs', type: { list: 'float64', size: 5 }, nullable: false }]
    const err = await failure(load('sklearn', c.artifact, input, c.output_schema))
    assert.match(err.message, /the input has 5 features per row but LogisticRegression was trained on 4/)
  })

  test('an unsafe pickle is refused before any interpreter runs; --trust lets a harmless outsider load', async (t) => {
    const unsafe = join(PY_FIXTURES, 'unsafe', 'model-with-payload.pkl')
    const err = await failure(load('sklearn', unsafe, PIPE_IN, PIPE_OUT))
    assert.equal(err.code, 'invalid_input')
    assert.match(err.message, /^model-with-payload\.pkl imports posix\.system, which is not on the safe list \(at byte \d+\); upload with --trust to load it anyway/)
    const dated = join(PY_FIXTURES, 'model-with-date.pkl')
    assert.match((await failure(load('sklearn', dated, PIPE_IN, PIPE_OUT))).message, /imports datetime\.date, which is not on the safe list/)
    if (!(await pythonOr(t, ['numpy', 'sklearn']))) return
    const { session, ctx } = await load('sklearn', dated, PIPE_IN, PIPE_OUT, { trusted: true })
    t.after(() => session.close())
    assert.ok(ctx.lines.includes('model-with-date.pkl is trusted: its pickle imports were not checked'))
    assert.equal((await session.infer(tableOf({ inputs: [[1, 1, 0]] }, PIPE_IN))).numRows, 1)
  })
})

describe('xgboost', () => {
  test('a truncated XGBoost JSON model is refused with the file name', async (t) => {
    if (!(await pythonOr(t, ['numpy', 'xgboost']))) return
    const c = readCase('xgboost-regressor-diabetes-json')
    const dir = mkdtempSync(join(tmpdir(), 'quiver-xgb-'))
    t.after(() => rmSync(dir, { recursive: true, force: true }))
    const bytes = readFileSync(c.artifact)
    writeFileSync(join(dir, 'model.json'), bytes.subarray(0, bytes.length / 3))
    const err = await failure(load('xgboost', join(dir, 'model.json'), c.input_schema, c.output_schema))
    assert.equal(err.code, 'invalid_input')
    assert.match(err.message, /model\.json is not a model file xgboost can read: /)
  })
})

describe('pytorch', () => {
  test('a state_dict is refused with how to save TorchScript instead', async (t) => {
    if (!(await pythonOr(t, ['numpy', 'torch']))) return
    const io: ModelSchema = [{ name: 'input', type: { list: 'float32', size: 4 }, nullable: false }]
    const err = await failure(load('pytorch', join(PY_FIXTURES, 'state_dict.pt'), io, io))
    assert.equal(err.code, 'invalid_input')
    assert.match(err.message, /state_dict\.pt is a state_dict, not TorchScript; save the model with torch\.jit\.script\/trace and torch\.jit\.save$/)
  })

  test('several inputs and outputs map to input_1.. / output_1.. in order', async (t) => {
    if (!(await pythonOr(t, ['numpy', 'torch']))) return
    const vec: ModelSchema[number]['type'] = { list: 'float32', size: 3 }
    const input: ModelSchema = [{ name: 'input_1', type: vec, nullable: false }, { name: 'input_2', type: vec, nullable: false }]
    const output: ModelSchema = [{ name: 'output_1', type: vec, nullable: false }, { name: 'output_2', type: 'float32', nullable: false }]
    const { session } = await load('pytorch', join(PY_FIXTURES, 'two-in-two-out.pt'), input, output)
    t.after(() => session.close())
    const out = await session.infer(tableOf({ input_1: [[1, 2, 3], [0.5, 0, -1]], input_2: [[1, 1, 1], [2, 2, 2]] }, input))
    assert.deepEqual(columnValues(out, 'output_1'), [[2, 3, 4], [2.5, 2, 1]])
    assert.deepEqual(columnValues(out, 'output_2'), [6, -1])
  })
})

describe('interpreter lookup', () => {
  test('an interpreter that cannot start is Unsupported', async () => {
    const err = await failure(findPython(['numpy'], { QUIVER_PYTHON: '/nonexistent/python3' }))
    assert.equal(err.code, 'unsupported')
    assert.match(err.message, /no Python interpreter could be started \(tried \/nonexistent\/python3\)/)
  })

  test('a missing module names the interpreter and the Debian package', async (t) => {
    if (!(await pythonOr(t, ['numpy']))) return
    // An interpreter that lacks xgboost whatever is installed: python3 with a shadowing module that fails to import.
    const dir = mkdtempSync(join(tmpdir(), 'quiver-no-xgboost-'))
    try {
      writeFileSync(join(dir, 'xgboost.py'), "raise ModuleNotFoundError(\"No module named 'xgboost'\")\n")
      const wrapper = join(dir, 'python3-without-xgboost')
      writeFileSync(wrapper, `#!/bin/sh\nPYTHONPATH='${dir}' exec python3 "$@"\n`, { mode: 0o755 })
      const err = await failure(findPython(['numpy', 'xgboost'], { QUIVER_PYTHON: wrapper }))
      assert.equal(err.code, 'unsupported')
      assert.equal(err.message, `xgboost is not importable by ${wrapper}; install Debian's python3-xgboost`)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('supports() reports the reason without reading model bytes', async () => {
    const rt = new PythonRuntime({ env: { QUIVER_PYTHON: '/nonexistent/python3' } })
    const v = versionOf('sklearn', join(MODELS_DIR, 'does-not-exist.pkl'), PIPE_IN, PIPE_OUT)
    const s = await rt.supports(v)
    assert.equal(s.ok, false)
    assert.match((s as { reason: string }).reason, /no Python interpreter could be started/)
    assert.deepEqual(await rt.supports({ ...v, framework: 'onnx' }), { ok: false, reason: "the python runtime does not serve framework 'onnx'" })
  })
})
