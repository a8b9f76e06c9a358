/**
 * Every shared model fixture through the real `bin/quiver`: upload (schemas read from the model
 * for ONNX, given by SPEC convention otherwise), infer, compare with the library's own output.
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { assertClose } from '../helpers/compare.js'
import { makeTemp, removeTemp, runCli } from '../helpers/cli.js'
import { modelCases } from '../helpers/fixtures.js'
import { findPython } from '../../src/runtimes/python/find-python.js'
import { PYTHON_FRAMEWORKS, pythonModulesFor } from '../../src/runtimes/python/python-runtime.js'

/** Why this machine cannot run the framework's Python models (no interpreter with its modules), or null. */
async function pythonMissing(framework: string): Promise<string | null> {
  if (!(PYTHON_FRAMEWORKS as readonly string[]).includes(framework)) return null
  const modules = pythonModulesFor(framework as (typeof PYTHON_FRAMEWORKS)[number])
  return findPython([...modules]).then(() => null, (err: Error) => err.message)
}

describe('shared model fixtures through bin/quiver', () => {
  // One home for every case: creating a PGlite database costs seconds, models have distinct names.
  let home: string
  before(async () => {
    home = await makeTemp()
  })
  after(() => removeTemp(home))
  for (const c of modelCases()) {
    it(`${c.name} (${c.framework}) matches its reference output`, async (t) => {
      const args = ['--json', 'upload', c.name, join(c.dir, c.artifact), '--framework', c.framework]
      if (c.framework !== 'onnx') {
        await writeFile(join(home, `${c.name}.in.json`), JSON.stringify(c.input_schema))
        await writeFile(join(home, `${c.name}.out.json`), JSON.stringify(c.output_schema))
        args.push('--input-schema', join(home, `${c.name}.in.json`), '--output-schema', join(home, `${c.name}.out.json`))
      }
      const missing = process.env.CI ? null : await pythonMissing(c.framework)
      if (missing) {
        t.skip(`no Python interpreter with the ${c.framework} modules here: ${missing}`)
        return
      }
      const up = await runCli(args, { home })
      assert.equal(up.code, 0, `upload failed: ${up.stderr}`)
      const version = JSON.parse(up.stdout)
      assert.equal(version.status, 'ready')
      assert.equal(version.seq, 1)
      await writeFile(join(home, 'input.json'), JSON.stringify(c.input))
      const inf = await runCli(['infer', c.name, '--input', join(home, 'input.json'), '--output-format', 'columns'], { home })
      assert.equal(inf.code, 0, `infer failed: ${inf.stderr}`)
      const result = JSON.parse(inf.stdout).columns as Record<string, unknown[]>
      const rows = Object.values(c.input.columns)[0]!.length
      assert.equal(result.time?.length, rows)
      for (const [field, values] of Object.entries(c.input.columns)) assertClose(result[`in.${field}`], values, { abs: 1e-6, rel: 1e-6 }, `in.${field}`)
      for (const [field, values] of Object.entries(c.expected.columns)) assertClose(result[`out.${field}`], values, c.tolerance, `out.${field}`)
      assert.deepEqual(result['anomaly.count'], new Array(rows).fill(0))
      if (version.runtime === 'native' && (c.framework === 'sklearn' || c.framework === 'xgboost')) {
        // The conversion is stored with the version: a later process needs no Python at all.
        assert.match(version.config.converted?.sha256 ?? '', /^[0-9a-f]{64}$/, JSON.stringify(version.config))
        const cold = await runCli(['infer', c.name, '--input', join(home, 'input.json'), '--output-format', 'columns'], {
          home, env: { QUIVER_PYTHON: join(home, 'no-such-python'), PATH: '/nonexistent' },
        })
        assert.equal(cold.code, 0, `infer without Python failed: ${cold.stderr}`)
        const again = JSON.parse(cold.stdout).columns as Record<string, unknown[]>
        for (const [field, values] of Object.entries(c.expected.columns)) assertClose(again[`out.${field}`], values, c.tolerance, `out.${field} (stored conversion)`)
      }
    })
  }
})
