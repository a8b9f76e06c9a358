/**
 * Bodies that lie about their own size — Arrow IPC batches whose headers claim more rows or bytes
 * than they carry, V2 shapes far larger than their data, JSON nested 20,000 levels — sent through a
 * real `quiver serve` and the embedded app. Each is a 400 naming the field and the claim against
 * what is there, before anything sized by the claim is allocated, and the server keeps serving.
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { ModelSchema } from '../../src/data/schema.js'
import { ARROW_STREAM } from '../../src/server/v1/infer-format.js'
import { classifyError } from '../../src/server/errors.js'
import { requestToTable } from '../../src/server/v2/codec.js'
import { badStrings, bufferBeyondBody, claimsRows, dictionaryOutOfRange, irisStream } from './arrow-lies.js'
import { pythonOr } from '../runtimes/python-helpers.js'
import { errorText, openDoors, stillServes, type Doors } from './doors.js'

const DEEP = 20_000
const LOGREG = join(import.meta.dirname, '../fixtures/models/sklearn-logreg-iris')
const deepArray = (n: number, leaf = '1') => '['.repeat(n) + leaf + ']'.repeat(n)

interface Case {
  name: string
  path: string
  init: () => RequestInit | Promise<RequestInit>
  status: number
  message: RegExp
}

const arrowBody = (bytes: Uint8Array): RequestInit => ({ method: 'POST', headers: { 'content-type': ARROW_STREAM }, body: bytes as Uint8Array<ArrayBuffer> })
const jsonBody = (body: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) })
const v2 = (shape: unknown[], data: unknown, extra: Record<string, unknown> = {}) =>
  jsonBody(`{"inputs": [{"name": "features", "datatype": "FP32", "shape": ${JSON.stringify(shape).replace('"BIG"', '1e300')}, "data": ${JSON.stringify(data)}${Object.keys(extra).length ? `, ${JSON.stringify(extra).slice(1, -1)}` : ''}}]}`)

function v2Binary(shape: number[], bytes: number): RequestInit {
  const header = Buffer.from(JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape, parameters: { binary_data_size: bytes } }] }))
  return {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.byteLength) },
    body: Buffer.concat([header, Buffer.alloc(bytes)]),
  }
}

function uploadWith(field: string, value: string): () => Promise<RequestInit> {
  return async () => {
    const form = new FormData()
    form.append('name', 'deep')
    form.append('framework', 'onnx')
    form.append(field, value)
    form.append('file', new Blob([new Uint8Array(16)]), 'model.onnx')
    return { method: 'POST', body: form }
  }
}

const INFER = '/v1/models/iris/infer'
const V2_INFER = '/v2/models/iris/infer'

const CASES: Case[] = [
  // Arrow IPC
  { name: 'a batch declaring 100,000 rows with data for 257', path: INFER, init: () => arrowBody(claimsRows(257, 100_000n)), status: 400,
    message: /Arrow input field 'features'.*claims 400000 elements of values but its values buffer holds 1028/ },
  { name: 'a batch declaring 2^40 rows', path: INFER, init: () => arrowBody(claimsRows(257, 1n << 40n)), status: 400,
    message: /Arrow input field 'features'.*claims 4398046511104 elements of values but its values buffer holds 1028/ },
  { name: 'a buffer offset past the body', path: INFER, init: () => arrowBody(bufferBeyondBody(257, 'offset')), status: 400,
    message: /record batch message 1: buffer 2 claims bytes 1099511627776 to \d+ but the message body has 4112 bytes/ },
  { name: 'a buffer length past the body', path: INFER, init: () => arrowBody(bufferBeyondBody(257, 'length')), status: 400,
    message: /buffer 2 claims bytes 0 to 1073741824 but the message body has 4112 bytes/ },
  { name: 'a validity buffer shorter than the rows', path: INFER, init: () => arrowBody(badStrings('validity')), status: 400,
    message: /field 's': claims 25 bytes of validity but its validity buffer holds 1/ },
  { name: 'string offsets that go backwards', path: INFER, init: () => arrowBody(badStrings('backwards')), status: 400,
    message: /field 's' row 9: its offsets go backwards \(9 then 2\)/ },
  { name: 'string offsets past the values', path: INFER, init: () => arrowBody(badStrings('past-end')), status: 400,
    message: /field 's': claims 1048576 bytes of values \(its last offset\) but only 200 are there/ },
  { name: 'dictionary indices past the dictionary batch', path: INFER, init: () => arrowBody(dictionaryOutOfRange()), status: 400,
    message: /field 's' row 2: dictionary index 1000000 is outside its dictionary of 2 values/ },
  // V2 shapes
  { name: 'V2 shape [2^31, 4] with 4 values', path: V2_INFER, init: () => v2([2 ** 31, 4], [1, 2, 3, 4]), status: 400,
    message: /input 'features' shape \[2147483648, 4\] claims 8589934592 FP32 elements but its data holds 4/ },
  { name: 'V2 shape [2^26, 2^26]', path: V2_INFER, init: () => v2([2 ** 26, 2 ** 26], [1, 2, 3, 4]), status: 400,
    message: /input 'features' shape \[67108864, 67108864\] claims 4503599627370496 FP32 elements but its data holds 4/ },
  { name: 'V2 shape [2^33]', path: V2_INFER, init: () => v2([2 ** 33], [1]), status: 400,
    message: /input 'features' shape \[8589934592\] claims 8589934592 FP32 elements but its data holds 1/ },
  { name: 'V2 shape [1e300, 4]', path: V2_INFER, init: () => v2(['BIG', 4], [1, 2, 3, 4]), status: 400,
    message: /inputs\[0\]\.shape\[0\]: Too big/ },
  { name: 'V2 shape with a negative dimension', path: V2_INFER, init: () => v2([-1, 4], [1, 2, 3, 4]), status: 400,
    message: /inputs\[0\]\.shape\[0\]/ },
  { name: 'V2 shape with a fractional dimension', path: V2_INFER, init: () => v2([1.5, 4], [1, 2, 3, 4]), status: 400,
    message: /inputs\[0\]\.shape\[0\]/ },
  { name: 'V2 binary shape [2^31, 4] with 16 bytes', path: V2_INFER, init: () => v2Binary([2 ** 31, 4], 16), status: 400,
    message: /input 'features' shape \[2147483648, 4\] claims 8589934592 FP32 elements but its 16 bytes of binary data hold 4/ },
  // JSON nesting
  { name: '20,000 levels of JSON on /v1 infer', path: INFER, init: () => jsonBody(`[{"features": ${deepArray(DEEP)}}]`), status: 400,
    message: /the inference input: 20002 JSON nesting levels is past the limit of 64 \(set QUIVER_MAX_JSON_DEPTH/ },
  { name: '20,000 levels of JSON on /v2 infer', path: V2_INFER, init: () => jsonBody(`{"inputs": [{"name": "features", "datatype": "FP32", "shape": [1, 4], "data": ${deepArray(DEEP)}}]}`), status: 400,
    message: /the inference request: 20003 JSON nesting levels is past the limit of 64/ },
  { name: '20,000 levels of JSON on /v1/features', path: '/v1/features', init: () => jsonBody(`{"name": "f", "features": ${deepArray(DEEP)}}`), status: 400,
    message: /the feature-set definitions: 20001 JSON nesting levels is past the limit of 64/ },
  { name: '20,000 levels of JSON in a tag request', path: '/v1/models/iris/tags', init: () => jsonBody(`{"tag": ${deepArray(DEEP, '"x"')}}`), status: 400,
    message: /the tag request: 20001 JSON nesting levels/ },
  { name: '20,000 levels of JSON in the upload meta field', path: '/v1/models', init: uploadWith('meta', `{"a": ${deepArray(DEEP)}}`), status: 400,
    message: /form field 'meta': 20001 JSON nesting levels is past the limit of 64/ },
  { name: '20,000 levels of JSON in the upload input_schema field', path: '/v1/models', init: uploadWith('input_schema', deepArray(DEEP)), status: 400,
    message: /form field 'input_schema': 20000 JSON nesting levels/ },
]

describe('bodies that lie about their size', () => {
  let d: Doors
  before(async () => {
    d = await openDoors()
  })
  after(() => d?.close())

  for (const c of CASES) {
    it(`${c.name} → ${c.status}`, async () => {
      for (const door of d.doors) {
        const res = await door.request(c.path, await c.init())
        const message = await errorText(res)
        assert.equal(res.status, c.status, `${door.name}: ${message}`)
        assert.match(message, c.message, door.name)
        await stillServes(door)
      }
    })
  }

  it('the embedded API refuses the same Arrow lies before any runtime sees them', async () => {
    for (const bytes of [claimsRows(257, 100_000n), claimsRows(257, 1n << 40n), bufferBeyondBody(257, 'offset')]) {
      await assert.rejects(d.api.infer('iris', { kind: 'arrow', bytes }), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'invalid_input')
        assert.match(e.message, /Arrow input .*claims/)
        return true
      })
    }
    const ok = await d.api.infer('iris', { kind: 'arrow', bytes: irisStream(257) })
    assert.equal(ok.numRows, 257)
  })

  it('a tensor-served model checks whole tensors the same way', () => {
    const schema = [{ name: 'w', type: { list: { list: 'float32', size: null }, size: null }, nullable: false }] as ModelSchema
    const tensor = { mode: 'tensor', reason: 'test' } as const
    for (const [shape, data, message] of [
      [[2 ** 33], [1], /input 'w' shape \[8589934592\] claims 8589934592 FP32 elements but its data holds 1/],
      [[2 ** 26, 2 ** 26], [1, 2], /input 'w' shape \[67108864, 67108864\] claims 4503599627370496 FP32 elements but its data holds 2/],
    ] as const) {
      const req = { inputs: [{ name: 'w', datatype: 'FP32', shape: [...shape], data: [...data] }] }
      assert.throws(() => requestToTable(req, schema, new Map(), tensor), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'invalid_input')
        assert.match(e.message, message)
        return true
      })
    }
  })

  it('nothing was stored by the refused uploads', async () => {
    for (const door of d.doors) {
      const res = await door.request('/v1/models')
      const names = ((await res.json()) as { name: string }[]).map((m) => m.name)
      assert.deepEqual(names, ['iris'], door.name)
    }
  })

  it('an Arrow batch claiming more rows than it carries never reaches LinearModel.scores', async (t) => {
    if (!(await pythonOr(t, ['numpy', 'scipy', 'sklearn', 'joblib']))) return
    const c = JSON.parse(await readFile(join(LOGREG, 'case.json'), 'utf8')) as { input_schema: unknown; output_schema: unknown }
    const column = { name: 'inputs', float64: true }
    for (const door of d.doors) {
      const form = new FormData()
      form.append('name', 'logreg')
      form.append('framework', 'sklearn')
      form.append('input_schema', JSON.stringify(c.input_schema))
      form.append('output_schema', JSON.stringify(c.output_schema))
      form.append('file', new Blob([await readFile(join(LOGREG, 'model.pkl'))]), 'model.pkl')
      const up = await door.request('/v1/models', { method: 'POST', body: form })
      assert.equal(up.status, 201, `${door.name}: ${await up.clone().text()}`)
      for (const [claimed, values] of [[100_000n, 400000], [1n << 40n, 4398046511104]] as const) {
        const res = await door.request('/v1/models/logreg/infer', arrowBody(claimsRows(257, claimed, column)))
        const text = await errorText(res)
        assert.equal(res.status, 400, `${door.name}: ${text}`)
        assert.match(text, new RegExp(`Arrow input field 'inputs'.*claims ${values} elements of values but its values buffer holds 1028`))
      }
      const ok = await door.request('/v1/models/logreg/infer', arrowBody(irisStream(257, column)))
      assert.equal(ok.status, 200, `${door.name}: ${await ok.clone().text()}`)
      await stillServes(door)
    }
  })
})

describe('errors left from sizes', () => {
  it('a RangeError from an allocation or a recursion is a 400, anything else stays a 500', () => {
    for (const make of [() => new Float64Array(2 ** 40), () => new Array(-1), () => { const f = (): number => f() + 1; return f() }]) {
      let thrown: unknown
      try {
        make()
      } catch (err) {
        thrown = err
      }
      const reply = classifyError(thrown)
      assert.equal(reply.status, 400, String(thrown))
      assert.match(reply.message, /the request asks for more than this server can hold \((Invalid|Maximum)/)
    }
    assert.equal(classifyError(new RangeError('toFixed() digits argument must be between 0 and 100')).status, 500)
    assert.equal(classifyError(new TypeError('x is undefined')).status, 500)
  })
})
