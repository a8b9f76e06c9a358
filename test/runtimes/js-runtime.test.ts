/** The js runtime beyond the shared suite: single files, worker threads, nulls, and every bad module. */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, it } from 'node:test'
import * as arrow from 'apache-arrow'
import type { ModelSchema } from '../../src/data/schema.js'
import { JsRuntime } from '../../src/runtimes/js/js-runtime.js'
import type { Session } from '../../src/runtimes/runtime.js'
import { columnValues, contextFor, tableOf, versionOf } from './python-helpers.js'

const dir = mkdtempSync(join(tmpdir(), 'quiver-js-test-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const IN: ModelSchema = [{ name: 'x', type: 'float64', nullable: true }]
const OUT: ModelSchema = [{ name: 'y', type: 'float64', nullable: true }]

let n = 0
async function loadSource(source: string, ext = '.mjs', out: ModelSchema = OUT): Promise<Session> {
  const file = join(dir, `model-${n++}${ext}`)
  writeFileSync(file, source)
  return new JsRuntime().load(versionOf('js', file, IN, out), contextFor(file))
}

const input = (xs: (number | null)[]) => tableOf({ x: xs }, IN)

const DOUBLE = `export function load(dir, { arrow }) {
  return { infer(t) { const x = t.getChild('x'); return { y: Array.from(x, (v) => v === null ? null : v * 2) } } }
}`

describe('js runtime', () => {
  it('runs a single .mjs file and passes nulls through where the schema allows', async () => {
    const s = await loadSource(DOUBLE)
    const out = await s.infer(input([1, null, 3.5]))
    assert.deepEqual(columnValues(out, 'y'), [2, null, 7])
    await s.close()
  })

  it('runs a .js file as an ES module, answering with an Arrow table built from the helpers', async () => {
    const s = await loadSource(`export function load(dir, { arrow }) {
      return { infer: (t) => arrow.tableFromArrays({ y: Float64Array.from(t.getChild('x').toArray(), (v) => v + 1), extra: new Int32Array(t.numRows) }) }
    }`, '.js')
    const out = await s.infer(input([1, 2]))
    assert.deepEqual(out.schema.fields.map((f) => f.name), ['y'])
    assert.deepEqual(columnValues(out, 'y'), [2, 3])
    await s.close()
  })

  it('runs a module that declares itself CPU-heavy in a worker thread, with the same answers', async () => {
    const s = await loadSource(`import { isMainThread } from 'node:worker_threads'
      export const cpuHeavy = true
      export function load() { return { infer: (t) => ({ y: Array.from(t.getChild('x'), (v) => isMainThread ? -1 : v * 2) }) } }`)
    const out = await Promise.all([s.infer(input([1, 2])), s.infer(input([5]))])
    assert.deepEqual(columnValues(out[0]!, 'y'), [2, 4])
    assert.deepEqual(columnValues(out[1]!, 'y'), [10])
    await s.close()
  })

  it('refuses a module without load, naming what it exports', async () => {
    await assert.rejects(loadSource('export function predict() {}'), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'invalid_input')
      assert.match(err.message, /exports no function load\(dir\) \(exports: predict\)/)
      return true
    })
  })

  it('refuses a module whose load throws, with its message (in process and in a thread)', async () => {
    await assert.rejects(loadSource('export function load() { throw new Error("weights missing") }'), /load\(dir\) threw: weights missing/)
    await assert.rejects(loadSource('export const cpuHeavy = true\nexport function load() { throw new Error("weights gone") }'), /load\(dir\) threw: weights gone/)
  })

  it('refuses a module that does not parse, and a load that returns no infer', async () => {
    await assert.rejects(loadSource('export function load( {'), /could not be imported/)
    await assert.rejects(loadSource('export function load() { return 42 }'), /returned number, not an object with an infer\(table\) method/)
  })

  it('reports an error thrown by infer with its message and the model reference', async () => {
    for (const heavy of ['', 'export const cpuHeavy = true\n']) {
      const s = await loadSource(`${heavy}export function load() { return { infer() { throw new TypeError('bad feature scale') } } }`)
      await assert.rejects(s.infer(input([1])), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'runtime_failure')
        assert.match(err.message, /js model test-js-\d+:[0-9a-f-]+ failed in infer\(table\): bad feature scale/)
        return true
      })
      await s.close()
    }
  })

  it('refuses an answer with the wrong number of rows', async () => {
    const s = await loadSource('export function load() { return { infer: () => ({ y: [1] }) } }')
    await assert.rejects(s.infer(input([1, 2, 3])), /answered 1 rows for 3 input rows/)
    await s.close()
  })

  it('refuses an answer of the wrong type, a missing column and a non-table, naming field and row', async () => {
    const s = await loadSource(`export function load() { return { infer: () => ({ y: [1, 'high'] }) } }`)
    await assert.rejects(s.infer(input([1, 2])), (err: Error) => {
      assert.match(err.message, /does not fit its output schema/)
      assert.match(err.message, /'y'/)
      assert.match(err.message, /row 1/)
      return true
    })
    const typed = await loadSource(`export function load({}, { arrow }) { return { infer: (t) => arrow.tableFromArrays({ y: ['a', 'b'] }) } }`)
    await assert.rejects(typed.infer(input([1, 2])), /does not fit its output schema/)
    const missing = await loadSource('export function load() { return { infer: () => ({ z: [1] }) } }')
    await assert.rejects(missing.infer(input([1])), /answered no column 'y'/)
    const nothing = await loadSource('export function load() { return { infer: () => 7 } }')
    await assert.rejects(nothing.infer(input([1])), /answered number; expected an Arrow table/)
  })

  it('refuses a null where the output field is not nullable', async () => {
    const s = await loadSource('export function load() { return { infer: () => ({ y: [null] }) } }', '.mjs', [{ name: 'y', type: 'float64', nullable: false }])
    await assert.rejects(s.infer(input([1])), /'y'.*null|null.*'y'/)
  })

  it('refuses a file that is not JavaScript', async () => {
    const file = join(dir, 'model.txt')
    writeFileSync(file, 'hello')
    await assert.rejects(new JsRuntime().load(versionOf('js', file, IN, OUT), contextFor(file)), /a js model is a \.js or \.mjs file/)
  })

  it('keeps arrow tables columnar: the input it gets is the validated table', async () => {
    const s = await loadSource(`export function load() { return { infer: (t) => ({ y: t.getChild('x').toArray() }) } }`)
    const t = new arrow.Table({ x: arrow.vectorFromArray([1.5, 2.5], new arrow.Float64()) })
    assert.deepEqual(columnValues(await s.infer(t), 'y'), [1.5, 2.5])
  })
})
