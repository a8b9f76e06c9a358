/**
 * BYTES byte-exact, as the binary tensor data extension frames them (each element a u32
 * little-endian length, then its bytes): through a runtime that takes bytes (a Python step with
 * binary fields) every byte comes back unchanged; where a runtime takes text (onnxruntime-node
 * strings) bytes that are not UTF-8, or that hold NUL, are refused naming the input and element.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import * as arrow from 'apache-arrow'
import { findPython } from '../../src/runtimes/python/find-python.js'
import { binaryAnswer, binaryRequest, json, openHarness, type Harness, uploadForm } from './harness.js'

const IDENTITY_ONNX = join(import.meta.dirname, '../fixtures/onnx/identity-types.onnx')
const STRINGS_STEP = join(import.meta.dirname, '../fixtures/python/steps/strings.zip')

/** The binary extension's BYTES framing of `elements`. */
function bytesTensor(...elements: Uint8Array[]): Buffer {
  return Buffer.concat(elements.flatMap((e) => {
    const len = Buffer.alloc(4)
    len.writeUInt32LE(e.byteLength)
    return [len, Buffer.from(e)]
  }))
}


/** Splits BYTES framing back into elements. */
function elementsOf(tail: Buffer): Buffer[] {
  const out: Buffer[] = []
  for (let at = 0; at < tail.byteLength;) {
    const len = tail.readUInt32LE(at)
    out.push(tail.subarray(at + 4, at + 4 + len))
    at += 4 + len
  }
  return out
}

/** identity-types.onnx takes every element type; these are its inputs other than `text`, for two rows. */
const OTHER_INPUTS = [
  { name: 'i64', shape: [2, 2], datatype: 'INT64', data: [1, 2, 3, 4] },
  { name: 'f64', shape: [2], datatype: 'FP64', data: [1, 2] },
  { name: 'flag', shape: [2], datatype: 'BOOL', data: [true, false] },
  { name: 'i32', shape: [2], datatype: 'INT32', data: [1, 2] },
  { name: 'u8', shape: [2, 3], datatype: 'UINT8', data: [1, 2, 3, 4, 5, 6] },
  { name: 'i8', shape: [2], datatype: 'INT8', data: [1, 2] },
  { name: 'i16', shape: [2], datatype: 'INT16', data: [1, 2] },
  { name: 'f16', shape: [2, 2], datatype: 'FP16', data: [1, 2, 3, 4] },
]

let h: Harness
before(async () => {
  h = await openHarness()
})
after(() => h.close())

describe('V2 BYTES through onnxruntime strings: text passes exactly, anything else is refused', () => {
  before(async () => {
    const res = await h.app.request('/v1/models', { method: 'POST', body: await uploadForm({ name: 'identity', framework: 'onnx' }, { path: IDENTITY_ONNX }) })
    assert.equal(res.status, 201, await res.clone().text())
  })

  const textInput = (bytes: Buffer) => ({ name: 'text', shape: [2], datatype: 'BYTES', parameters: { binary_data_size: bytes.byteLength } })

  it('multi-byte UTF-8 comes back byte for byte', async () => {
    const words = [Buffer.from('naïve 東京 🚀', 'utf8'), Buffer.alloc(0)]
    const bytes = bytesTensor(...words)
    const res = await h.app.request('/v2/models/identity/infer', binaryRequest({
      inputs: [textInput(bytes), ...OTHER_INPUTS], outputs: [{ name: 'out_text', parameters: { binary_data: true } }],
    }, bytes))
    assert.equal(res.status, 200)
    const { header, tail } = await binaryAnswer(res)
    assert.deepEqual(header.outputs, [{ name: 'out_text', shape: [2], datatype: 'BYTES', parameters: { binary_data_size: bytes.byteLength } }])
    assert.deepEqual(elementsOf(tail), words)
  })

  it('an element that is not UTF-8 is refused naming the input and element', async () => {
    const bytes = bytesTensor(Buffer.from('ok'), Buffer.from([0x61, 0xff, 0xfe]))
    const res = await h.app.request('/v2/models/identity/infer', binaryRequest({ inputs: [textInput(bytes), ...OTHER_INPUTS] }, bytes))
    assert.equal(res.status, 400)
    assert.match((await json(res)).error, /input 'text' element 1 \(row 1\): byte 0xff at offset 1 is not valid UTF-8, and the model takes text there/)
  })

  it('an element holding NUL is refused naming the field, row and element, over binary and JSON', async () => {
    const bytes = bytesTensor(Buffer.from('a\0b'), Buffer.from('c'))
    const res = await h.app.request('/v2/models/identity/infer', binaryRequest({ inputs: [textInput(bytes), ...OTHER_INPUTS] }, bytes))
    assert.equal(res.status, 400)
    const nul = /field 'text' element 0 of row 0 holds a NUL character, which onnxruntime-node cannot pass to graph input 'text'/
    assert.match((await json(res)).error, nul)
    const viaJson = await h.app.request('/v2/models/identity/infer', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'text', shape: [2], datatype: 'BYTES', data: ['a\u0000b', 'c'] }, ...OTHER_INPUTS] }),
    })
    assert.equal(viaJson.status, 400)
    assert.match((await json(viaJson)).error, nul)
  })

  it('a JSON string with a lone surrogate is refused on /v2 and /v1 instead of becoming U+FFFD', async () => {
    const body = `{"inputs":[{"name":"text","shape":[2],"datatype":"BYTES","data":["ok","x\\ud800"]},${OTHER_INPUTS.map((i) => JSON.stringify(i)).join(',')}]}`
    const res = await h.app.request('/v2/models/identity/infer', { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    assert.equal(res.status, 400)
    assert.match((await json(res)).error, /input 'text' element 1 \(row 1\): expected BYTES, got .* \(it holds a lone UTF-16 surrogate/)
    const row = '{"i64":[1,2],"f64":1,"flag":true,"text":"x\\udc00","i32":1,"u8":[1,2,3],"i8":1,"i16":1,"f16":[1,2]}'
    const v1 = await h.app.request('/v1/models/identity/infer', { method: 'POST', headers: { 'content-type': 'application/json' }, body: `[${row}]` })
    assert.equal(v1.status, 400)
    assert.match((await json(v1)).error.message, /field 'text' row 0.*lone UTF-16 surrogate/)
  })

  it('an Arrow utf8 column whose bytes are not UTF-8 is refused naming field and row', async () => {
    const good = arrow.vectorFromArray(['ok', 'fine'], new arrow.Utf8())
    const bad = arrow.makeData({ type: new arrow.Utf8(), length: 2, nullCount: 0, valueOffsets: Int32Array.from([0, 2, 4]), data: Uint8Array.from([0x6f, 0x6b, 0xc3, 0x28]) })
    const table = new arrow.Table({ text: arrow.makeVector(bad) })
    assert.equal(good.length, 2)
    const res = await h.api.infer('identity', { kind: 'table', table: withOthers(table) }).catch((e: unknown) => e as Error & { code: string })
    assert.ok(res instanceof Error, 'expected a refusal')
    assert.equal(res.code, 'invalid_input')
    assert.match(res.message, /field 'text' row 1 element 0: byte 0xc3 at offset 0 is not valid UTF-8/)
  })
})

/** Two rows of identity-types' other inputs beside `text`. */
function withOthers(text: arrow.Table): arrow.Table {
  const fsl = (n: number, t: arrow.DataType) => new arrow.FixedSizeList(n, new arrow.Field('item', t, true))
  const f16 = arrow.makeData({ type: fsl(2, new arrow.Float16()), length: 2, child: arrow.makeData({ type: new arrow.Float16(), data: new Uint16Array([0x3c00, 0x4000, 0xc000, 0]) }) })
  return new arrow.Table({
    i64: arrow.vectorFromArray([[1n, 2n], [3n, 4n]], fsl(2, new arrow.Int64())),
    f64: arrow.vectorFromArray([0.1, -2.5], new arrow.Float64()),
    flag: arrow.vectorFromArray([true, false], new arrow.Bool()),
    text: text.getChild('text')!,
    i32: arrow.vectorFromArray([1, 2], new arrow.Int32()),
    u8: arrow.vectorFromArray([[0, 128, 255], [1, 2, 3]], fsl(3, new arrow.Uint8())),
    i8: arrow.vectorFromArray([-128, 127], new arrow.Int8()),
    i16: arrow.vectorFromArray([-300, 300], new arrow.Int16()),
    f16: arrow.makeVector(f16),
  })
}

describe('V2 BYTES through a runtime that takes bytes (a Python step with binary fields)', () => {
  let skip: string | null = null
  before(async () => {
    try {
      await findPython(['numpy'])
    } catch (err) {
      if (process.env.CI) throw err
      skip = `no Python interpreter with numpy: ${(err as Error).message}`
      console.log(`# skip: ${skip}`)
      return
    }
    await h.api.uploadModel({
      name: 'bytes-echo', framework: 'python', source: { path: STRINGS_STEP },
      inputSchema: [
        { name: 's', type: 'binary', nullable: false }, { name: 'flag', type: 'bool', nullable: false },
        { name: 'vec', type: { list: 'float32', size: 2 }, nullable: false }, { name: 'ragged', type: { list: 'int64', size: null }, nullable: false },
      ],
      outputSchema: [{ name: 's', type: 'binary', nullable: false }, { name: 'chars', type: 'int32', nullable: true }],
    })
  })
  // Bytes a text path would change: NUL, lone continuation bytes, an encoded surrogate, 0xff.
  const payloads = [Buffer.from([0x00, 0xff, 0xfe, 0x80]), Buffer.from('a\0b'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.alloc(0)]
  const others = [
    { name: 'flag', shape: [4], datatype: 'BOOL', data: [true, false, true, false] },
    { name: 'vec', shape: [4, 2], datatype: 'FP32', data: [1, 2, 3, 4, 5, 6, 7, 8] },
    { name: 'ragged', shape: [4, 1], datatype: 'INT64', data: [1, 2, 3, 4] },
  ]

  it('every byte comes back unchanged over the binary extension, and the Python step saw them as bytes', async (t) => {
    if (skip) return t.skip(skip)
    const bytes = bytesTensor(...payloads)
    const res = await h.app.request('/v2/models/bytes-echo/infer', binaryRequest({
      inputs: [{ name: 's', shape: [4], datatype: 'BYTES', parameters: { binary_data_size: bytes.byteLength } }, ...others],
      outputs: [{ name: 's', parameters: { binary_data: true } }, { name: 'chars' }],
    }, bytes))
    const { header, tail } = await binaryAnswer(res)
    assert.equal(res.status, 200, JSON.stringify(header))
    assert.deepEqual(header.outputs[0], { name: 's', shape: [4], datatype: 'BYTES', parameters: { binary_data_size: bytes.byteLength } })
    assert.deepEqual(elementsOf(tail), payloads)
    assert.deepEqual(header.outputs[1].data, [4, 3, 3, 0])
  })

  it('as JSON, bytes that are UTF-8 come back as text; others are refused naming the output and element', async (t) => {
    if (skip) return t.skip(skip)
    const text = [Buffer.from('héllo'), Buffer.from('x')]
    const res = await h.app.request('/v2/models/bytes-echo/infer', binaryRequest({
      inputs: [{ name: 's', shape: [2], datatype: 'BYTES', parameters: { binary_data_size: bytesTensor(...text).byteLength } }, ...others.map((o) => ({ ...o, shape: [2, ...o.shape.slice(1)], data: o.data.slice(0, o.data.length / 2) }))],
      outputs: [{ name: 's' }],
    }, bytesTensor(...text)))
    assert.equal(res.status, 200)
    assert.deepEqual((await json(res)).outputs[0].data, ['héllo', 'x'])

    const bytes = bytesTensor(...payloads)
    const refused = await h.app.request('/v2/models/bytes-echo/infer', binaryRequest({
      inputs: [{ name: 's', shape: [4], datatype: 'BYTES', parameters: { binary_data_size: bytes.byteLength } }, ...others],
      outputs: [{ name: 's' }],
    }, bytes))
    assert.equal(refused.status, 400)
    assert.match((await json(refused)).error, /output 's' element 0: byte 0xff at offset 1 is not valid UTF-8, so JSON cannot carry it unchanged; ask for it as binary data/)
  })
})
