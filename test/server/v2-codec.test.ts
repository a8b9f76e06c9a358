import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, it } from 'node:test'
import * as arrow from 'apache-arrow'
import type { ModelSchema } from '../../src/data/schema.js'
import { metadataTensors, requestToTable, tableToOutputs } from '../../src/server/v2/codec.js'
import { binaryInputs, splitBody } from '../../src/server/v2/binary.js'
import { parseInferenceRequest, type InferenceRequest } from '../../src/server/v2/types.js'

const FIXTURES = join(import.meta.dirname, '../fixtures/protocol')
const golden = (name: string) => JSON.parse(readFileSync(join(FIXTURES, name), 'utf8'))

const IRIS: ModelSchema = [{ name: 'features', type: { list: 'float32', size: 4 }, nullable: false }]
const ALL: ModelSchema = [
  { name: 'b', type: 'bool', nullable: false },
  { name: 'i8', type: 'int8', nullable: false },
  { name: 'i16', type: 'int16', nullable: false },
  { name: 'i32', type: 'int32', nullable: false },
  { name: 'i64', type: 'int64', nullable: false },
  { name: 'u8', type: 'uint8', nullable: false },
  { name: 'u16', type: 'uint16', nullable: false },
  { name: 'u32', type: 'uint32', nullable: false },
  { name: 'u64', type: 'uint64', nullable: false },
  { name: 'f16', type: { list: 'float16', size: 2 }, nullable: false },
  { name: 'f32', type: { list: 'float32', size: 3 }, nullable: false },
  { name: 'f64', type: 'float64', nullable: false },
  { name: 's', type: 'string', nullable: false },
]

/** A result table whose out.* columns are the input's columns (an identity model). */
function echo(input: arrow.Table): arrow.Table {
  const cols: Record<string, arrow.Vector> = {}
  for (const f of input.schema.fields) cols[`out.${f.name}`] = input.getChild(f.name)!
  return new arrow.Table(cols)
}

function binaryBody(header: unknown, ...chunks: Uint8Array[]): { body: Uint8Array; length: string } {
  const json = Buffer.from(JSON.stringify(header))
  return { body: Buffer.concat([json, ...chunks]), length: String(json.byteLength) }
}

function decode(req: unknown, schema: ModelSchema, binary?: Map<string, Uint8Array>): arrow.Table {
  return requestToTable(parseInferenceRequest(req), schema, binary)
}

describe('V2 codec', () => {
  it('turns a [rows, 4] FP32 tensor into a list<float32>[4] column over a Float32Array', () => {
    const table = decode(golden('v2-infer-request-iris.json'), IRIS)
    assert.equal(table.numRows, 2)
    const col = table.getChild('features')!
    assert.equal(String(col.type), 'FixedSizeList[4]<Float32>')
    const values = col.data[0]!.children[0]!.values
    assert.ok(values instanceof Float32Array)
    assert.deepEqual(Array.from(values), Array.from(Float32Array.from([5.7, 3.8, 1.7, 0.3, 6.7, 2.5, 5.8, 1.8])))
    assert.equal(table.schema.fields[0]!.nullable, false)
  })

  it('reads nested data as the same tensor as flat data', () => {
    const flat = decode(golden('v2-infer-request-iris.json'), IRIS)
    const nested = decode(golden('v2-infer-request-iris-nested.json'), IRIS)
    assert.deepEqual(nested.getChild('features')!.toJSON().map((r) => Array.from(r!)), flat.getChild('features')!.toJSON().map((r) => Array.from(r!)))
  })

  it('carries every V2 datatype through JSON in and JSON out', () => {
    const req = golden('v2-infer-request-all-datatypes.json') as InferenceRequest
    const { outputs } = tableToOutputs(echo(decode(req, ALL)), {})
    for (const input of req.inputs) {
      const out = outputs.find((o) => o.name === input.name)!
      assert.equal(out.datatype, input.datatype, input.name)
      assert.deepEqual(out.shape, input.shape, input.name)
      const expected = (input.data as unknown[]).flat()
      const got = input.datatype === 'FP32' ? expected.map((v) => Math.fround(v as number)) : expected
      assert.deepEqual(out.data, got, input.name)
    }
  })

  it('carries every V2 datatype through the binary extension both ways', () => {
    const req = golden('v2-infer-request-all-datatypes.json') as InferenceRequest
    const viaJson = echo(decode(req, ALL))
    const { outputs, binary } = tableToOutputs(viaJson, { parameters: { binary_data_output: true } })
    assert.equal(binary.length, req.inputs.length)
    // Feed the binary answer back in as a binary request: the tables must agree.
    const header = {
      inputs: outputs.map((o) => ({ name: o.name, shape: o.shape, datatype: o.datatype, parameters: { binary_data_size: o.parameters!.binary_data_size } })),
    }
    const { body, length } = binaryBody(header, ...binary)
    const { json, tail } = splitBody(body, length)
    const parsed = parseInferenceRequest(JSON.parse(Buffer.from(json).toString()))
    const viaBinary = requestToTable(parsed, ALL, binaryInputs(parsed, tail))
    for (const f of ALL) {
      assert.deepEqual(
        JSON.stringify(viaBinary.getChild(f.name)!.toJSON(), (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
        JSON.stringify(viaJson.getChild(`out.${f.name}`)!.toJSON(), (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
        f.name,
      )
    }
  })

  it('reads a Triton client binary request (JSON header, then raw FP32 bytes)', () => {
    const values = Float32Array.from([5.7, 3.8, 1.7, 0.3, 6.7, 2.5, 5.8, 1.8])
    // An odd-length header puts the floats at an unaligned offset: the codec must still read them.
    const header = { ...golden('v2-infer-request-iris-triton-json.json'), id: 'x' }
    const { body, length } = binaryBody(header, new Uint8Array(values.buffer))
    const { json, tail } = splitBody(body, length)
    const req = parseInferenceRequest(JSON.parse(Buffer.from(json).toString()))
    const table = requestToTable(req, IRIS, binaryInputs(req, tail))
    assert.deepEqual(Array.from(table.getChild('features')!.data[0]!.children[0]!.values as Float32Array), Array.from(values))
    const { outputs, binary } = tableToOutputs(echo(table), { outputs: [{ name: 'features', parameters: { binary_data: true } }] })
    assert.deepEqual(outputs, [{ name: 'features', shape: [2, 4], datatype: 'FP32', parameters: { binary_data_size: 32 } }])
    assert.deepEqual(new Float32Array(binary[0]!.slice().buffer), values)
  })

  it('describes schemas as metadata tensors with -1 for the batch axis', () => {
    assert.deepEqual(metadataTensors(IRIS), [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }])
    assert.deepEqual(metadataTensors([{ name: 'v', type: { list: 'int64', size: null }, nullable: true }, { name: 's', type: 'string', nullable: true }]), [
      { name: 'v', datatype: 'INT64', shape: [-1, -1] },
      { name: 's', datatype: 'BYTES', shape: [-1] },
    ])
  })

  describe('refuses bad requests with a sentence naming the input', () => {
    const base = golden('v2-infer-request-iris.json')
    const withInput = (patch: Record<string, unknown>) => ({ inputs: [{ ...base.inputs[0], ...patch }] })
    const cases: [string, unknown, RegExp][] = [
      ['data shorter than the shape', withInput({ data: [1, 2, 3] }), /input 'features' shape \[2, 4\] claims 8 FP32 elements but its data holds 3/],
      ['data longer than the shape', withInput({ shape: [1, 4] }), /input 'features' shape \[1, 4\] claims 4 FP32 elements but its data holds 8/],
      ['an unsupported datatype', withInput({ datatype: 'FP8' }), /unsupported datatype 'FP8'.*BOOL/],
      ['a datatype the model does not take', withInput({ datatype: 'INT32', data: [1, 2, 3, 4, 5, 6, 7, 8] }), /datatype INT32 but the model expects FP32/],
      ['an unknown input name', { inputs: [{ ...base.inputs[0], name: 'petals' }] }, /unknown input 'petals'; the model's inputs are 'features'/],
      ['a per-row shape that does not fit', withInput({ shape: [4, 2] }), /does not fit per-row shape \[4\]/],
      ['a string where a number belongs', withInput({ data: [1, 2, 3, 'x', 5, 6, 7, 8] }), /input 'features' element 3 \(row 0\): expected FP32, got "x"/],
      ['no inputs', { inputs: [] }, /missing input 'features' \(list<float32>\[4\]\)/],
      ['a shape of no axes', withInput({ shape: [], data: [] }), /shape \[\]/],
      ['data that is not an array', withInput({ data: 'abc' }), /data must be a JSON array/],
    ]
    for (const [what, req, message] of cases) {
      it(what, () => {
        assert.throws(() => decode(req, IRIS), (err: { code?: string; message: string }) => err.code === 'invalid_input' && message.test(err.message))
      })
    }

    it('two inputs with different rows', () => {
      const schema: ModelSchema = [{ name: 'a', type: 'float32', nullable: false }, { name: 'b', type: 'float32', nullable: false }]
      const req = { inputs: [{ name: 'a', shape: [2], datatype: 'FP32', data: [1, 2] }, { name: 'b', shape: [3], datatype: 'FP32', data: [1, 2, 3] }] }
      assert.throws(() => decode(req, schema), /input 'b' has 3 rows \(first axis\) but input 'a' has 2/)
    })

    it('binary data of the wrong size', () => {
      const header = golden('v2-infer-request-iris-triton-json.json')
      const { body, length } = binaryBody(header, new Uint8Array(28))
      const { json, tail } = splitBody(body, length)
      assert.throws(() => binaryInputs(parseInferenceRequest(JSON.parse(Buffer.from(json).toString())), tail), /declares 32 bytes of binary data but only 28 remain/)
    })

    it('an Inference-Header-Content-Length beyond the body', () => {
      assert.throws(() => splitBody(new Uint8Array(10), '11'), /must be a byte count within the body \(10 bytes\)/)
    })

    it('an unknown requested output', () => {
      const table = echo(decode(base, IRIS))
      assert.throws(() => tableToOutputs(table, { outputs: [{ name: 'nope' }] }), /unknown output 'nope'; the model's outputs are 'features'/)
    })
  })
})

describe('V2 requests and optional inputs (SPEC §10)', () => {
  const SCHEMA: ModelSchema = [
    { name: 'inputs', type: 'string', nullable: false },
    { name: 'top_k', type: 'int64', nullable: true, optional: true },
    { name: 'note', type: 'string', nullable: true },
  ]
  const text = { name: 'inputs', shape: [2], datatype: 'BYTES', data: ['a', 'b'] }
  const note = { name: 'note', shape: [2], datatype: 'BYTES', data: ['x', 'y'] }

  it('reads an optional input left out as nulls, one per row', () => {
    const t = decode({ inputs: [text, note] }, SCHEMA)
    assert.deepEqual(t.schema.fields.map((f) => f.name), ['inputs', 'top_k', 'note'])
    assert.deepEqual([...t.getChild('top_k')!], [null, null])
    assert.deepEqual([...decode({ inputs: [text, note, { name: 'top_k', shape: [2], datatype: 'INT64', data: [1, 2] }] }, SCHEMA).getChild('top_k')!], [1n, 2n])
  })

  it('still refuses a missing input that is only nullable', () => {
    assert.throws(() => decode({ inputs: [text] }, SCHEMA), /missing input 'note' \(string\); the request gives 'inputs'/)
  })
})
