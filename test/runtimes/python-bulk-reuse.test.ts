import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import * as arrow from 'apache-arrow'
import { PythonRuntime } from '../../src/runtimes/python/python-runtime.js'
import { pythonOr } from './python-helpers.js'

// Large enough for the bulk lane (bodies of 64 KiB and more), whose receive buffer the worker reuses.
const ROWS = 20_000

test('a model that keeps an input array between calls still sees its values after the next large request', async (t) => {
  if (!(await pythonOr(t, ['numpy']))) return
  const dir = mkdtempSync(join(tmpdir(), 'quiver-bulk-reuse-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  // The first call's array is kept without a copy and returned by every later call.
  writeFileSync(join(dir, 'keep.py'), 'kept = {}\n\ndef process_data(input_data):\n    kept.setdefault("x", input_data["x"])\n    return {"x": kept["x"]}\n')
  const schema = [{ name: 'x', type: 'float64' as const, nullable: false }]
  const runtime = new PythonRuntime()
  t.after(() => runtime.dispose())
  const session = await runtime.load({
    id: 0, name: 'keep', version: '00000000-0000-4000-8000-000000000000', framework: 'python', file_name: 'keep.zip', sha256: '',
    input_schema: schema, output_schema: schema, metadata: {}, additional_files: {}, config: {},
  }, { artifactPath: async () => dir, extractedPath: async () => dir, additionalFilePath: async () => dir, progress: () => {} })
  t.after(() => session.close())
  const first = Float64Array.from({ length: ROWS }, (_, i) => i)
  await session.infer(arrow.tableFromArrays({ x: first }))
  for (let call = 1; call <= 3; call++) {
    const out = await session.infer(arrow.tableFromArrays({ x: Float64Array.from({ length: ROWS }, (_, i) => -call * i - 1) }))
    assert.deepStrictEqual(out.getChild('x')!.toArray(), first, `call ${call + 1}`)
  }
})

test('a model that keeps nothing gets each request\'s own values through the reused buffer', async (t) => {
  if (!(await pythonOr(t, ['numpy']))) return
  const dir = mkdtempSync(join(tmpdir(), 'quiver-bulk-reuse-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'double.py'), 'def process_data(input_data):\n    return {"x": input_data["x"] * 2}\n')
  const schema = [{ name: 'x', type: 'float64' as const, nullable: false }]
  const runtime = new PythonRuntime()
  t.after(() => runtime.dispose())
  const session = await runtime.load({
    id: 0, name: 'double', version: '00000000-0000-4000-8000-000000000000', framework: 'python', file_name: 'double.zip', sha256: '',
    input_schema: schema, output_schema: schema, metadata: {}, additional_files: {}, config: {},
  }, { artifactPath: async () => dir, extractedPath: async () => dir, additionalFilePath: async () => dir, progress: () => {} })
  t.after(() => session.close())
  for (let call = 0; call < 4; call++) {
    const x = Float64Array.from({ length: ROWS }, (_, i) => i + call * 0.5)
    const out = await session.infer(arrow.tableFromArrays({ x }))
    assert.deepStrictEqual(out.getChild('x')!.toArray(), x.map((v) => v * 2), `call ${call}`)
  }
})
