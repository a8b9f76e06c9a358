import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import type { TestContext } from 'node:test'
import * as arrow from 'apache-arrow'
import type { ModelSchema } from '../../src/data/schema.js'
import type { Framework } from '../../src/records/frameworks.js'
import { PythonRuntime } from '../../src/runtimes/python/python-runtime.js'
import type { Session } from '../../src/runtimes/runtime.js'
import { columnValues, contextFor, PY_FIXTURES, pythonOr, tableOf, versionOf } from './python-helpers.js'
import type { TestLoadContext } from './python-helpers.js'

const runtime = new PythonRuntime()
after(() => runtime.dispose())

const X: ModelSchema = [{ name: 'x', type: 'float64', nullable: false }]
const Y: ModelSchema = [{ name: 'y', type: 'float64', nullable: false }]
const xs = (...v: number[]) => tableOf({ x: v }, X)

async function loadStep(t: TestContext, zip: string, input = X, output = Y, framework: Framework = 'python', modules: ('numpy' | 'sklearn')[] = ['numpy']): Promise<{ session: Session; ctx: TestLoadContext } | null> {
  if (!(await pythonOr(t, modules))) return null
  const ctx = contextFor(join(PY_FIXTURES, 'steps', zip))
  t.after(() => ctx.cleanup())
  const session = await runtime.load(versionOf(framework, join(PY_FIXTURES, 'steps', zip), input, output), ctx)
  t.after(() => session.close())
  return { session, ctx }
}

async function failure(p: Promise<unknown>): Promise<Error & { code: string; details?: Record<string, unknown> }> {
  try {
    await p
  } catch (err) {
    return err as Error & { code: string }
  }
  assert.fail('expected a failure')
}

describe('python steps: model errors reach the caller clearly', () => {
  test('an exception raised by process_data carries its own text and type', async (t) => {
    const s = await loadStep(t, 'raises.zip')
    if (!s) return
    const err = await failure(s.session.infer(xs(1, 2)))
    assert.equal(err.code, 'runtime_failure')
    assert.match(err.message, /raised builtins\.ValueError: temperature sensor 7 is offline: cannot score without it$/)
    assert.match(String(err.details?.traceback), /step\.py", line 2, in process_data/)
    // The worker survives a Python exception and serves the next request (which raises again).
    assert.match((await failure(s.session.infer(xs(3)))).message, /sensor 7 is offline/)
  })

  test('wrong row count names the field and both counts', async (t) => {
    const s = await loadStep(t, 'wrong-rows.zip')
    if (!s) return
    const err = await failure(s.session.infer(xs(1, 2, 3)))
    assert.equal(err.code, 'runtime_failure')
    assert.match(err.message, /output field 'y' has 4 rows, expected 3 \(one per input row\)/)
  })

  test('a dtype that cannot be cast names the field and the types', async (t) => {
    const s = await loadStep(t, 'wrong-dtype.zip')
    if (!s) return
    const err = await failure(s.session.infer(xs(1, 2)))
    assert.match(err.message, /^test-python-\d+:[0-9a-f-]+: output field 'y' holds string values, which cannot be cast to float64$/)
  })

  test('a list size that differs from the schema names the field and both sizes', async (t) => {
    const s = await loadStep(t, 'wrong-width.zip', X, [{ name: 'v', type: { list: 'float64', size: 3 }, nullable: false }])
    if (!s) return
    const err = await failure(s.session.infer(xs(1)))
    assert.match(err.message, /output field 'v' has rows that are lists of 2, expected lists of 3/)
  })

  test('strings (non-ASCII included), nulls, bools, fixed and ragged lists round-trip exactly', async (t) => {
    const input: ModelSchema = [
      { name: 's', type: 'string', nullable: true },
      { name: 'flag', type: 'bool', nullable: false },
      { name: 'vec', type: { list: 'float32', size: 2 }, nullable: false },
      { name: 'ragged', type: { list: 'int64', size: null }, nullable: false },
    ]
    const output: ModelSchema = [
      ...input,
      { name: 'upper', type: 'string', nullable: true },
      { name: 'chars', type: 'int32', nullable: true },
    ]
    const s = await loadStep(t, 'strings.zip', input, output)
    if (!s) return
    const words = ['naïve café', null, '東京 🚀', '', 'plain']
    const table = tableOf({
      s: words,
      flag: [true, false, true, true, false],
      vec: [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]],
      ragged: [[1n], [], [2n, 3n, 4n], [5n], [6n, 7n]],
    }, input)
    // A sliced table exercises Arrow offsets that do not start at zero.
    const sliced = table.slice(1)
    const out = await s.session.infer(sliced)
    assert.deepEqual(columnValues(out, 's'), words.slice(1))
    assert.deepEqual(columnValues(out, 'upper'), [null, '東京 🚀', '', 'PLAIN'])
    assert.deepEqual(columnValues(out, 'chars'), [null, 4, 0, 5])
    assert.deepEqual(columnValues(out, 'flag'), [false, true, true, false])
    assert.deepEqual(columnValues(out, 'vec'), [[6, 8], [10, 12], [14, 16], [18, 20]])
    assert.deepEqual(columnValues(out, 'ragged'), [[], [2, 3, 4], [5], [6, 7]])
    assert.equal(out.numRows, 4)
  })

  test('a table of several record batches is sent whole', async (t) => {
    const input: ModelSchema = [{ name: 's', type: 'string', nullable: true }, { name: 'flag', type: 'bool', nullable: false },
      { name: 'vec', type: { list: 'float32', size: 2 }, nullable: false }, { name: 'ragged', type: { list: 'int64', size: null }, nullable: false }]
    const s = await loadStep(t, 'strings.zip', input, [{ name: 'upper', type: 'string', nullable: true }])
    if (!s) return
    const part = (w: string, b: boolean, v: number) => tableOf({ s: [w], flag: [b], vec: [[v, v]], ragged: [[BigInt(v)]] }, input)
    const table = part('ä', true, 1).concat(part('b', false, 2), part('ç', true, 3))
    assert.equal(table.batches.length, 3)
    const out = await s.session.infer(table)
    assert.deepEqual(columnValues(out, 'upper'), ['Ä', 'B', 'Ç'])
  })

  test('a zip whose root is one folder is read from inside it; artifacts resolve beside the script', async (t) => {
    const s = await loadStep(t, 'nested-folder.zip')
    if (!s) return
    assert.deepEqual(columnValues(await s.session.infer(xs(1, -0.5)), 'y'), [11.5, 10])
  })
})

describe('python steps: the zip is checked before anything runs', () => {
  test('a zip without a script is refused', async (t) => {
    if (!(await pythonOr(t, ['numpy']))) return
    const ctx = contextFor(join(PY_FIXTURES, 'steps', 'no-entry.zip'))
    t.after(() => ctx.cleanup())
    const err = await failure(runtime.load(versionOf('python', join(PY_FIXTURES, 'steps', 'no-entry.zip'), X, Y), ctx))
    assert.equal(err.code, 'invalid_input')
    assert.equal(err.message, 'no-entry.zip needs a .py file defining process_data(input_data) at its root (it has helpers.py)')
  })

  test('a zip with two entry points is refused, naming both', async (t) => {
    if (!(await pythonOr(t, ['numpy']))) return
    const ctx = contextFor(join(PY_FIXTURES, 'steps', 'two-entries.zip'))
    t.after(() => ctx.cleanup())
    const err = await failure(runtime.load(versionOf('python', join(PY_FIXTURES, 'steps', 'two-entries.zip'), X, Y), ctx))
    assert.equal(err.code, 'invalid_input')
    assert.match(err.message, /two-entries\.zip has 2 entry points \(a\.py, b\.py\)/)
  })

  test('a requirement the interpreter lacks is an error naming the distribution', async (t) => {
    if (!(await pythonOr(t, ['numpy']))) return
    const ctx = contextFor(join(PY_FIXTURES, 'steps', 'missing-requirement.zip'))
    t.after(() => ctx.cleanup())
    const err = await failure(runtime.load(versionOf('python', join(PY_FIXTURES, 'steps', 'missing-requirement.zip'), X, X), ctx))
    assert.equal(err.code, 'unsupported')
    assert.match(err.message, /requirements\.txt needs quiver-no-such-distribution, which is not installed/)
  })

  test('a version mismatch is a warning in the progress lines, and the step still loads', async (t) => {
    const s = await loadStep(t, 'old-numpy.zip', X, X)
    if (!s) return
    assert.ok(s.ctx.lines.some((l) => /^warning: requirements\.txt asks for numpy==1\.19\.5; the worker has numpy \d/.test(l)), s.ctx.lines.join('\n'))
    assert.deepEqual(columnValues(await s.session.infer(xs(4)), 'x'), [4])
  })
})

describe('custom models (InferenceBuilder contract)', () => {
  test('builder.create(config) loads artifacts from the model folder; predict serves requests', async (t) => {
    const input: ModelSchema = [{ name: 'inputs', type: { list: 'float64', size: 2 }, nullable: false }]
    const output: ModelSchema = [{ name: 'predictions', type: 'float64', nullable: false }, { name: 'scaled', type: 'float32', nullable: false }]
    const s = await loadStep(t, 'custom-linear.zip', input, output, 'custom', ['numpy', 'sklearn'])
    if (!s) return
    const out = await s.session.infer(tableOf({ inputs: [[0, 0], [1, 1], [2, 0]] }, input))
    const preds = columnValues(out, 'predictions') as number[]
    ;[1, 6, 5].forEach((want, i) => assert.ok(Math.abs(preds[i]! - want) < 1e-9, `row ${i}: ${preds[i]}`))
    assert.deepEqual(columnValues(out, 'scaled'), [0, 1, 1])
    assert.ok(out.getChild('scaled')!.type instanceof arrow.Float32)
  })
})
