import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { ConvertedRuntime } from '../../src/runtimes/convert/converted-runtime.js'
import { ConvertedSession } from '../../src/runtimes/convert/converted-session.js'
import { RowSplitPool } from '../../src/runtimes/convert/row-split-pool.js'
import { CONVERTED_FIXTURES, contextFor, MODELS_DIR, pythonOr, readCase, versionOf } from './convert-helpers.js'

const pools = [new RowSplitPool(1), new RowSplitPool(3)]
after(() => Promise.all(pools.map((p) => p.close())))

/** `rows` rows of the case's inputs in turn, each value moved by up to ±3% so every row differs. */
function batch(rows: number[][], count: number): Float64Array {
  const n = rows[0]!.length
  const x = new Float64Array(count * n)
  let seed = 11
  for (let r = 0; r < count; r++) {
    for (let j = 0; j < n; j++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      x[r * n + j] = rows[r % rows.length]![j]! * (0.97 + 0.06 * (seed / 0x7fffffff))
    }
  }
  return x
}

describe('a batch split across row-split threads', () => {
  for (const name of CONVERTED_FIXTURES) {
    test(`${name}: every output is identical to the single-thread evaluation`, async (t) => {
      const c = readCase(join(MODELS_DIR, name))
      const json = name.endsWith('-json')
      if (!json && !(await pythonOr(t, c.framework === 'xgboost' ? ['numpy', 'xgboost', 'sklearn', 'joblib'] : ['numpy', 'scipy', 'sklearn', 'joblib']))) return
      // A JSON model needs no interpreter; without one it is read directly (and not verified).
      const runtime = new ConvertedRuntime(json ? { env: { QUIVER_PYTHON: '/nonexistent/python3' } } : {})
      const session = await runtime.load(versionOf(c.framework, c.artifact, c.input_schema, c.output_schema), contextFor(c.artifact))
      t.after(() => session.close())
      assert.ok(session instanceof ConvertedSession)
      const rows = 1001
      const inputs = c.input.inputs as number[][]
      const x = batch(inputs, rows)
      for (const float32Input of [false, true]) {
        const features = float32Input ? new Float64Array(new Float32Array(x)) : x
        const single = session.evaluate(features, rows, float32Input)
        for (const pool of pools) {
          const split = await session.evaluateSplit(features, rows, float32Input, pool)
          assert.deepStrictEqual(split, single, `${pool.threads + 1} parts, float32 input: ${float32Input}`)
        }
      }
      // Fewer rows than parts: each part gets at least one row.
      assert.deepStrictEqual(await session.evaluateSplit(x.subarray(0, 2 * inputs[0]!.length), 2, false, pools[1]!), session.evaluate(x, 2, false))
    })
  }

  test('a closed pool refuses work rather than computing part of a batch', async () => {
    const pool = new RowSplitPool(1)
    await pool.close()
    const c = readCase(join(MODELS_DIR, 'xgboost-regressor-diabetes-json'))
    const runtime = new ConvertedRuntime({ env: { QUIVER_PYTHON: '/nonexistent/python3' } })
    const session = await runtime.load(versionOf(c.framework, c.artifact, c.input_schema, c.output_schema), contextFor(c.artifact)) as ConvertedSession
    await assert.rejects(session.evaluateSplit(batch(c.input.inputs as number[][], 10), 10, false, pool), /the row-split threads are closed/)
    await session.close()
  })
})
