import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { PythonRuntime } from '../../src/runtimes/python/python-runtime.js'
import type { PythonModule } from '../../src/runtimes/python/find-python.js'
import { columnValues, contextFor, mismatch, pythonOr, readCase, tableOf, versionOf } from './python-helpers.js'

const CASES: [string, PythonModule[]][] = [
  ['sklearn-logreg-iris', ['numpy', 'sklearn']],
  ['sklearn-random-forest-wine', ['numpy', 'sklearn']],
  ['xgboost-binary-breast-cancer-pkl', ['numpy', 'xgboost', 'sklearn']],
  ['xgboost-regressor-diabetes-json', ['numpy', 'xgboost']],
  ['pytorch-mlp-iris', ['numpy', 'torch']],
  ['python-zscore-step', ['numpy']],
]

const runtime = new PythonRuntime()
after(() => runtime.dispose())

describe('python runtime: shared fixtures reproduce the reference outputs', () => {
  for (const [name, modules] of CASES) {
    test(name, async (t) => {
      if (!(await pythonOr(t, modules))) return
      const c = readCase(name)
      const v = versionOf(c.framework, c.artifact, c.input_schema, c.output_schema)
      assert.deepEqual(await runtime.supports(v), { ok: true })
      const ctx = contextFor(c.artifact)
      const session = await runtime.load(v, ctx)
      try {
        const out = await session.infer(tableOf(c.input, c.input_schema))
        assert.deepEqual(out.schema.fields.map((f) => f.name), c.output_schema.map((f) => f.name))
        for (const f of c.output_schema) {
          const m = mismatch(columnValues(out, f.name), c.expected[f.name], c.tolerance, f.name)
          assert.equal(m, null, m ?? '')
        }
        // A second request on the same worker gives the same answer.
        const again = await session.infer(tableOf(c.input, c.input_schema))
        for (const f of c.output_schema) assert.deepEqual(columnValues(again, f.name), columnValues(out, f.name))
      } finally {
        await session.close()
        ctx.cleanup()
      }
    })
  }
})
