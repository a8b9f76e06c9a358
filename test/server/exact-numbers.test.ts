import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { parseExactJson } from '../../src/data/exact-json.js'
import { PROTOCOL, json, openHarness, uploadForm, type Harness } from './harness.js'

const IDENTITY_ONNX = join(import.meta.dirname, '../fixtures/onnx/identity-types.onnx')

/** Exact numbers on both JSON doors: int64 past 2^53, NaN/±Infinity, float16, in and out. */
describe('exact numbers over JSON', () => {
  let h: Harness
  before(async () => {
    h = await openHarness()
    const res = await h.app.request('/v1/models', { method: 'POST', body: await uploadForm({ name: 'identity', framework: 'onnx' }, { path: IDENTITY_ONNX }) })
    assert.equal(res.status, 201, await res.clone().text())
  })
  after(() => h.close())

  it('/v2 echoes what a Python client writes (big INT64, NaN and Infinity tokens, FP16 extremes) exactly', async () => {
    const body = await readFile(join(PROTOCOL, 'v2-infer-request-identity-python-json.json'), 'utf8')
    const res = await h.app.request('/v2/models/identity/infer', { method: 'POST', body, headers: { 'content-type': 'application/json' } })
    const text = await res.text()
    assert.equal(res.status, 200, text)
    // Bare digits, as Python's json and rapidjson read back into exact 64-bit integers.
    assert.match(text, /"data":\[4611686018427387904,-9223372036854775808,9223372036854775807,9007199254740993\]/)
    const got = parseExactJson(text) as { id: string; outputs: { name: string; shape: number[]; data: unknown[] }[] }
    assert.equal(got.id, 'exact-1')
    const out = Object.fromEntries(got.outputs.map((o) => [o.name, o]))
    assert.deepEqual(out.out_i64!.data, [4611686018427387904n, -9223372036854775808n, 9223372036854775807n, 9007199254740993n])
    assert.deepEqual(out.out_f64!.data, ['NaN', '-Infinity'])
    assert.deepEqual(out.out_f16!.data, ['Infinity', -0, 5.960464477539063e-8, 65504])
    assert.ok(Object.is((out.out_f16!.data as number[])[1], -0))
    assert.deepEqual(out.out_f16!.shape, [2, 2])
  })

  it('/v2 reads INT64 given as decimal strings the same as bare digits', async () => {
    const req = JSON.parse((await readFile(join(PROTOCOL, 'v2-infer-request-identity-python-json.json'), 'utf8')).replace(/NaN|-?Infinity/g, '0'))
    req.inputs[0].data = ['4611686018427387904', '-9223372036854775808', '9223372036854775807', '9007199254740993']
    const res = await h.app.request('/v2/models/identity/infer', { method: 'POST', body: JSON.stringify(req), headers: { 'content-type': 'application/json' } })
    assert.match(await res.text(), /"data":\[4611686018427387904,-9223372036854775808,9223372036854775807,9007199254740993\]/)
  })

  it('/v1 reads bare big integers and NaN tokens and writes exact decimal strings and "NaN"', async () => {
    const body = '[{"i64": [4611686018427387904, -9223372036854775808], "f64": NaN, "flag": true, "text": "a", "i32": 1, "u8": [0, 1, 255], "i8": -1, "i16": 2, "f16": [Infinity, 0.5]},' +
      ' {"i64": ["9007199254740993", 1], "f64": -Infinity, "flag": false, "text": "b", "i32": 2, "u8": [3, 4, 5], "i8": 1, "i16": 3, "f16": [-Infinity, 65504]}]'
    const res = await h.app.request('/v1/models/identity/infer', { method: 'POST', body, headers: { 'content-type': 'application/json' } })
    const rows = await json(res)
    assert.equal(res.status, 200, JSON.stringify(rows))
    assert.deepEqual(rows.map((r: any) => r['out.out_i64']), [['4611686018427387904', '-9223372036854775808'], ['9007199254740993', 1]])
    assert.deepEqual(rows.map((r: any) => r['out.out_f64']), ['NaN', '-Infinity'])
    assert.deepEqual(rows.map((r: any) => r['out.out_f16']), [['Infinity', 0.5], ['-Infinity', 65504]])
  })

  it('refuses an integer that does not fit its type, naming the field and row', async () => {
    const body = '[{"i64": [9223372036854775808, 0], "f64": 1, "flag": true, "text": "a", "i32": 1, "u8": [0, 1, 2], "i8": 1, "i16": 2, "f16": [1, 2]}]'
    const res = await h.app.request('/v1/models/identity/infer', { method: 'POST', body, headers: { 'content-type': 'application/json' } })
    assert.equal(res.status, 400)
    assert.match((await json(res)).error.message, /field 'i64' row 0.*9223372036854775808.*int64 range/)
  })
})
