import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { loadModel } from '../../src/pipelines/model-loader.js'
import type { ModelSchema } from '../../src/data/schema.js'
import { ConvertedRuntime } from '../../src/runtimes/convert/converted-runtime.js'
import type { ExtractedModel } from '../../src/runtimes/convert/converted-runtime.js'
import type { NativeModel } from '../../src/runtimes/convert/native-model.js'
import { findPython } from '../../src/runtimes/python/find-python.js'
import { Runtimes, runtimeNamesFor } from '../../src/runtimes/runtime-table.js'
import type { Runtime } from '../../src/runtimes/runtime.js'
import {
  columnValues, CONVERT_FIXTURES, CONVERTED_FIXTURES, contextFor, mismatch, MODELS_DIR, pythonOr, readCase, tableOf, versionOf,
} from './convert-helpers.js'
import type { ModelCase } from './convert-helpers.js'

const runtime = new ConvertedRuntime()
const TRAINED = mkdtempSync(join(tmpdir(), 'quiver-convert-'))
after(() => rmSync(TRAINED, { recursive: true, force: true }))

async function failure(p: Promise<unknown>): Promise<Error & { code: string; details?: Record<string, unknown> }> {
  try {
    await p
  } catch (err) {
    return err as Error & { code: string }
  }
  assert.fail('expected a failure')
}

/** Loads a case natively, checks the progress report, and compares the outputs with the library's. */
async function serveCase(c: ModelCase): Promise<string[]> {
  const ctx = contextFor(c.artifact)
  const session = await runtime.load(versionOf(c.framework, c.artifact, c.input_schema, c.output_schema), ctx)
  try {
    const out = await session.infer(tableOf(c.input, c.input_schema))
    assert.equal(out.numRows, c.input.inputs!.length)
    assert.deepEqual(out.schema.fields.map((f) => f.name), c.output_schema.map((f) => f.name))
    for (const f of c.output_schema) {
      assert.equal(mismatch(columnValues(out, f.name), c.expected[f.name], c.tolerance, f.name), null, `${c.name}: ${f.name}`)
    }
  } finally {
    await session.close()
  }
  return ctx.lines
}

describe('shared fixtures served by the converted runtime', () => {
  for (const name of CONVERTED_FIXTURES) {
    test(`${name} is converted, verified and matches expected.json`, async (t) => {
      const c = readCase(join(MODELS_DIR, name))
      if (!(await pythonOr(t, c.framework === 'xgboost' ? ['numpy', 'xgboost', 'sklearn', 'joblib'] : ['numpy', 'scipy', 'sklearn', 'joblib']))) return
      const lines = await serveCase(c)
      const report = lines.find((l) => l.startsWith('converted '))
      assert.match(report ?? lines.join('\n'), /^converted .+ to the native (tree|linear) evaluator; verified against (sklearn|xgboost) [\d.]+ on 256 rows, max abs error /)
    })
  }

  test('the progress line names the model, its trees and objective', async (t) => {
    if (!(await pythonOr(t, ['numpy', 'xgboost', 'sklearn', 'joblib']))) return
    const lines = await serveCase(readCase(join(MODELS_DIR, 'xgboost-binary-breast-cancer-pkl')))
    assert.ok(lines.includes('converted XGBClassifier (30 trees, binary:logistic) to the native tree evaluator; verified against xgboost 1.7.4 on 256 rows, max abs error 0'), lines.join('\n'))
  })
})

describe('models trained here with the installed libraries', () => {
  let ready = false
  before(async () => {
    try {
      const py = await findPython(['numpy', 'scipy', 'sklearn', 'joblib', 'xgboost'])
      execFileSync(py.command, [join(CONVERT_FIXTURES, 'make_models.py'), TRAINED], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 })
      ready = true
    } catch (err) {
      if (process.env.CI) throw err
      console.log(`# skip: no Python interpreter with sklearn and xgboost to train test models: ${(err as Error).message.split('\n')[0]}`)
    }
  })
  const names = [
    'decision-tree-classifier-wine', 'decision-tree-regressor-diabetes', 'extra-trees-wine', 'gb-classifier-binary', 'gb-classifier-iris',
    'gb-regressor-diabetes', 'logreg-ovr-iris', 'pipeline-minmax-linearsvc-wine', 'pipeline-scaler-logreg-wine', 'pipeline-scaler-logreg-wine-f32',
    'random-forest-regressor-diabetes', 'ridge-diabetes', 'sgd-log-iris', 'xgboost-binary-missing-json', 'xgboost-classifier-iris-pkl',
    'xgboost-regressor-early-stop-pkl', 'xgboost-softprob-iris-json', 'xgboost-softprob-iris-ubj',
  ]
  for (const name of names) {
    test(`${name} is served natively and matches the library`, async (t) => {
      if (!ready) return t.skip('no test models')
      const lines = await serveCase(readCase(join(TRAINED, name)))
      assert.ok(lines.some((l) => /^converted .* verified against/.test(l)), lines.join('\n'))
    })
  }

  test('every trained case is covered by a test', (t) => {
    if (!ready) return t.skip('no test models')
    assert.deepEqual(readdirSync(TRAINED).filter((n) => n !== 'knn-iris').sort(), [...names].sort())
  })

  test('an early-stopped XGBRegressor uses its best iteration, as predict() does', async (t) => {
    if (!ready) return t.skip('no test models')
    const lines = await serveCase(readCase(join(TRAINED, 'xgboost-regressor-early-stop-pkl')))
    assert.match(lines.join('\n'), /XGBRegressor \(\d+ of \d+ trees, reg:squarederror\)/)
  })

  test('a KNeighborsClassifier is refused as Unsupported, naming the class', async (t) => {
    if (!ready) return t.skip('no test models')
    const c = readCase(join(TRAINED, 'knn-iris'))
    const err = await failure(runtime.load(versionOf('sklearn', c.artifact, c.input_schema, c.output_schema), contextFor(c.artifact)))
    assert.equal(err.code, 'unsupported')
    assert.equal(err.message, 'KNeighborsClassifier has no native conversion')
  })

  test('the loader passes a KNN to the Python worker with the reason as progress', async (t) => {
    if (!ready) return t.skip('no test models')
    const c = readCase(join(TRAINED, 'knn-iris'))
    const runtimes = new Runtimes()
    t.after(() => runtimes.dispose())
    const ctx = contextFor(c.artifact)
    const loaded = await loadModel(versionOf('sklearn', c.artifact, c.input_schema, c.output_schema), runtimes, ctx)
    t.after(() => loaded.session.close())
    assert.equal(loaded.runtimeName, 'python')
    assert.ok(ctx.lines.includes('converted runtime: incompatible (KNeighborsClassifier has no native conversion)'), ctx.lines.join('\n'))
  })

  test('a model whose verification fails falls back to the Python worker', async (t) => {
    if (!ready) return t.skip('no test models')
    const c = readCase(join(TRAINED, 'decision-tree-classifier-wine'))
    // A converter that moves the root split of the tree: the library's outputs disagree with it.
    class SkewedRuntime extends ConvertedRuntime {
      protected override build(m: ExtractedModel): NativeModel {
        if (m.kind === 'sklearn_trees') m.trees[0]!.threshold = Array.from(m.trees[0]!.threshold, (v, i) => (i === 0 ? v + 1000 : v))
        return super.build(m)
      }
    }
    const skewed = new SkewedRuntime()
    const direct = await failure(skewed.load(versionOf('sklearn', c.artifact, c.input_schema, c.output_schema), contextFor(c.artifact)))
    assert.equal(direct.code, 'runtime_failure')
    assert.match(direct.message, /^native conversion of test-sklearn-\d+ differs from sklearn 1\.2\.1 on the verification batch \('predictions' is \d instead of \d at row \d+\); serving it with the Python worker$/)

    class TestRuntimes extends Runtimes {
      override get(name: string): Promise<Runtime> {
        return name === 'converted' ? Promise.resolve(skewed) : super.get(name)
      }
    }
    const runtimes = new TestRuntimes()
    t.after(() => runtimes.dispose())
    const ctx = contextFor(c.artifact)
    const loaded = await loadModel(versionOf('sklearn', c.artifact, c.input_schema, c.output_schema), runtimes, ctx)
    t.after(() => loaded.session.close())
    assert.equal(loaded.runtimeName, 'python')
    assert.ok(ctx.lines.some((l) => l.startsWith('converted runtime: incompatible (native conversion of ')), ctx.lines.join('\n'))
    const out = await loaded.session.infer(tableOf(c.input, c.input_schema))
    assert.deepEqual(columnValues(out, 'predictions'), c.expected.predictions)
  })

  test('sklearn inputs with NaN are refused naming the row and feature', async (t) => {
    if (!ready) return t.skip('no test models')
    const c = readCase(join(TRAINED, 'ridge-diabetes'))
    const session = await runtime.load(versionOf('sklearn', c.artifact, c.input_schema, c.output_schema), contextFor(c.artifact))
    t.after(() => session.close())
    const rows = (c.input.inputs as number[][]).slice(0, 3).map((r) => [...r])
    rows[2]![4] = NaN
    const err = await failure(session.infer(tableOf({ inputs: rows }, c.input_schema)))
    assert.equal(err.code, 'invalid_input')
    assert.equal(err.message, "input field 'inputs' has NaN at row 2 (feature 4); Ridge (10 features, 1 target) takes finite values only")
    assert.equal(err.details?.row, 2)
  })

  test('an output the model cannot fill, or a wrong feature count, is refused at load', async (t) => {
    if (!ready) return t.skip('no test models')
    const c = readCase(join(TRAINED, 'ridge-diabetes'))
    const proba: ModelSchema = [{ name: 'probabilities', type: { list: 'float64', size: 2 }, nullable: false }, ...c.output_schema]
    const err = await failure(runtime.load(versionOf('sklearn', c.artifact, c.input_schema, proba), contextFor(c.artifact)))
    assert.equal(err.code, 'unsupported')
    assert.equal(err.message, "Ridge (10 features, 1 target) cannot fill output field 'probabilities' (probabilities)")
    const narrow: ModelSchema = [{ name: 'inputs', type: { list: 'float64', size: 9 }, nullable: false }]
    const width = await failure(runtime.load(versionOf('sklearn', c.artifact, narrow, c.output_schema), contextFor(c.artifact)))
    assert.equal(width.code, 'invalid_input')
    assert.equal(width.message, "input field 'inputs' has 9 features per row but Ridge (10 features, 1 target) was trained on 10")
  })

  test('an empty table gives an empty result of the output schema', async (t) => {
    if (!ready) return t.skip('no test models')
    const c = readCase(join(TRAINED, 'gb-classifier-iris'))
    const session = await runtime.load(versionOf('sklearn', c.artifact, c.input_schema, c.output_schema), contextFor(c.artifact))
    t.after(() => session.close())
    const out = await session.infer(tableOf({ inputs: [] }, c.input_schema))
    assert.equal(out.numRows, 0)
    assert.deepEqual(out.schema.fields.map((f) => f.name), ['predictions', 'probabilities', 'scores'])
  })
})

describe('without an interpreter', () => {
  test('an XGBoost JSON model is still served natively, reported as not verified', async () => {
    const c = readCase(join(MODELS_DIR, 'xgboost-regressor-diabetes-json'))
    const noPython = new ConvertedRuntime({ env: { QUIVER_PYTHON: '/nonexistent/python3' } })
    const ctx = contextFor(c.artifact)
    const session = await noPython.load(versionOf('xgboost', c.artifact, c.input_schema, c.output_schema), ctx)
    t_after(session)
    assert.match(ctx.lines.join('\n'), /^converted Booster \(80 trees, reg:squarederror\) to the native tree evaluator; not verified \(no Python interpreter could be started/)
    const out = await session.infer(tableOf(c.input, c.input_schema))
    assert.equal(mismatch(columnValues(out, 'predictions'), c.expected.predictions, { abs: 0, rel: 0 }), null)
  })

  test('a pickle is refused when no interpreter can read it', async () => {
    const c = readCase(join(MODELS_DIR, 'sklearn-logreg-iris'))
    const noPython = new ConvertedRuntime({ env: { QUIVER_PYTHON: '/nonexistent/python3' } })
    const err = await failure(noPython.load(versionOf('sklearn', c.artifact, c.input_schema, c.output_schema), contextFor(c.artifact)))
    assert.equal(err.code, 'unsupported')
  })

  test('an untrusted pickle importing an unsafe global is refused before any interpreter runs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quiver-convert-unsafe-'))
    after(() => rmSync(dir, { recursive: true, force: true }))
    const path = join(dir, 'model.pkl')
    writeFileSync(path, Buffer.from('\x80\x04cposix\nsystem\n.', 'latin1'))
    const c = readCase(join(MODELS_DIR, 'sklearn-logreg-iris'))
    const err = await failure(runtime.load(versionOf('sklearn', path, c.input_schema, c.output_schema), contextFor(path)))
    assert.equal(err.code, 'invalid_input')
    assert.match(err.message, /^model\.pkl imports posix\.system, which is not on the safe list/)
  })

  test('the runtime table tries the converted runtime before the Python worker', () => {
    assert.deepEqual(runtimeNamesFor('sklearn'), ['converted', 'python'])
    assert.deepEqual(runtimeNamesFor('xgboost'), ['converted', 'python'])
    assert.deepEqual(runtime.supports(versionOf('pytorch', 'x', [], [])), { ok: false, reason: "native conversion covers sklearn and xgboost, not 'pytorch'" })
    const scalars: ModelSchema = [{ name: 'a', type: 'float64', nullable: false }, { name: 'b', type: 'float64', nullable: false }]
    assert.equal(runtime.supports(versionOf('sklearn', 'x', scalars, scalars)).ok, false)
  })
})

function t_after(session: { close(): Promise<void> }): void {
  after(() => session.close())
}
