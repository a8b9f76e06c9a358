/**
 * ONNX models whose tensors share no row axis (weights beside data, scalars, outputs of their own
 * length, zero-sized axes) are served as tensor models: values match onnxruntime run directly, in
 * the runtime, through the embedded API (one row = one call) and over /v2 HTTP (tensors as they are).
 * The models are written at test time by Python's onnx package (test/fixtures/onnx/tensor_models.py).
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it, type TestContext } from 'node:test'
import * as arrow from 'apache-arrow'
import * as ort from 'onnxruntime-node'
import { createLocalQuiver } from '../../src/api/create-local.js'
import type { LocalQuiverApi } from '../../src/api/local-api.js'
import { toArrowType, typeLabel } from '../../src/data/schema.js'
import type { TensorData, TensorElementType } from '../../src/data/tensor.js'
import { OnnxRuntime } from '../../src/runtimes/onnx/onnx-runtime.js'
import { createApp } from '../../src/server/app.js'
import { startServer, type RunningServer } from '../../src/server/http-server.js'
import { context, version } from './onnx-helpers.js'

const PYTHON = '/usr/bin/python3'
const SCRIPT = join(import.meta.dirname, '../fixtures/onnx/tensor_models.py')

interface Tensor { type: TensorElementType; dims: number[]; data: TensorData }
interface Case { inputs: Record<string, Tensor>; reason: RegExp; schema: Record<string, string> }

const f32 = (dims: number[], seed: number): Tensor => {
  const n = dims.reduce((a, b) => a * b, 1)
  return { type: 'float32', dims, data: Float32Array.from({ length: n }, (_, i) => Math.round(Math.sin(seed + i * 1.7) * 100) / 10) }
}

/** Each model of tensor_models.py: inputs, why it is a tensor model, and the derived input field types. */
const CASES: Record<string, Case> = {
  gemm_weight: {
    inputs: { a: f32([2, 3], 1), w: f32([3, 4], 2), c: f32([4], 3) },
    reason: /inputs 'a' and 'w' have fixed first axes of different sizes \(2 and 3\)/,
    schema: { a: 'list<list<float32>[3]>[2]', w: 'list<list<float32>[4]>[3]', c: 'list<float32>[4]' },
  },
  matmul_2d: {
    inputs: { a: f32([3, 4], 4), b: f32([4, 3], 5) },
    reason: /inputs 'a' and 'b' have fixed first axes of different sizes \(3 and 4\)/,
    schema: { a: 'list<list<float32>[4]>[3]', b: 'list<list<float32>[3]>[4]' },
  },
  gather_0: {
    inputs: { data: f32([5, 4], 6), indices: { type: 'int64', dims: [3], data: BigInt64Array.from([4n, 0n, 2n]) } },
    reason: /inputs 'data' and 'indices' have fixed first axes of different sizes \(5 and 3\)/,
    schema: { data: 'list<list<float32>[4]>[5]', indices: 'list<int64>[3]' },
  },
  broadcast_bias: {
    inputs: { x: f32([4, 3], 7), bias: f32([1, 3], 8) },
    reason: /input 'bias' has a fixed first axis of 1 while input 'x' has a variable one/,
    schema: { x: 'list<list<float32>[3]>', bias: 'list<list<float32>[3]>[1]' },
  },
  scalar_io: {
    inputs: { s: { type: 'float32', dims: [], data: Float32Array.from([2.5]) }, v: f32([3], 9) },
    reason: /input 's' is a scalar \(rank 0\)/,
    schema: { s: 'float32', v: 'list<float32>[3]' },
  },
  compress_0: {
    inputs: { x: f32([3, 2], 10), keep: { type: 'bool', dims: [3], data: Uint8Array.from([1, 0, 1]) } },
    reason: /output 'y' has a variable first axis where the inputs have a fixed 3 rows/,
    schema: { x: 'list<list<float32>[2]>[3]', keep: 'list<bool>[3]' },
  },
  unique: {
    inputs: { x: { type: 'float32', dims: [6], data: Float32Array.from([2, 1, 2, 3, 1, 5]) } },
    reason: /output 'y' has a variable first axis where the inputs have a fixed 6 rows/,
    schema: { x: 'list<float32>[6]' },
  },
  transpose: {
    inputs: { x: f32([2, 3], 11) },
    reason: /output 'y' has a first axis of 3 where the inputs have 2 rows/,
    schema: { x: 'list<list<float32>[3]>[2]' },
  },
  concat_0: {
    inputs: { a: f32([2, 3], 12), b: f32([2, 3], 13) },
    reason: /output 'y' has a first axis of 4 where the inputs have 2 rows/,
    schema: { a: 'list<list<float32>[3]>[2]', b: 'list<list<float32>[3]>[2]' },
  },
  zero_rows: {
    inputs: { x: f32([0, 3], 14) },
    reason: /input 'x' has a zero-sized first axis/,
    schema: { x: 'list<list<float32>[3]>' },
  },
}

const DATATYPE: Partial<Record<TensorElementType, string>> = { float32: 'FP32', int64: 'INT64', bool: 'BOOL' }

let dir = ''
let skipReason: string | null = null
const expected = new Map<string, Record<string, { dims: number[]; values: unknown[] }>>()

/** Nested JS values of a tensor (rank 0: the value itself), as JSON rows and V2 nested data carry them. */
function nested(values: unknown[], dims: number[]): unknown {
  if (dims.length === 0) return values[0]
  const [n, ...rest] = dims
  const size = rest.reduce((a, b) => a * b, 1)
  return Array.from({ length: n! }, (_, i) => nested(values.slice(i * size, (i + 1) * size), rest))
}

/** Tensor values as JS values: bool as true/false, int64 as numbers (or kept as bigints for Arrow). */
function plain(data: TensorData | ArrayLike<unknown>, type?: string, keepBigints = false): unknown[] {
  return Array.from(data as ArrayLike<unknown>, (v) => (type === 'bool' ? v === 1 || v === true : typeof v === 'bigint' && !keepBigints ? Number(v) : v))
}

/** A cell of an Arrow column as nested JS values. */
function cell(v: unknown): unknown {
  if (v instanceof arrow.Vector) return [...v].map(cell)
  return typeof v === 'bigint' ? Number(v) : v
}

function skipIfNoModels(t: TestContext): boolean {
  if (skipReason === null) return false
  if (process.env.CI) throw new Error(skipReason)
  t.skip(skipReason)
  return true
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'quiver-tensor-models-'))
  try {
    execFileSync(PYTHON, [SCRIPT, dir], { stdio: 'pipe' })
  } catch (err) {
    skipReason = `${PYTHON} with the onnx package is needed to write the test models: ${String((err as { stderr?: Buffer }).stderr ?? err).split('\n').filter(Boolean).pop()}`
    console.log(`# skip: ${skipReason}`)
    return
  }
  for (const [name, c] of Object.entries(CASES)) {
    const session = await ort.InferenceSession.create(join(dir, `${name}.onnx`))
    const feeds = Object.fromEntries(Object.entries(c.inputs).map(([k, t]) => [k, new ort.Tensor(t.type, t.data as never, t.dims)]))
    const out = await session.run(feeds)
    expected.set(name, Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { dims: t.dims.map(Number), values: plain(t.data as TensorData, t.type) }])))
    await session.release()
  }
})

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('tensor models in the ONNX runtime', () => {
  const runtime = new OnnxRuntime({ threadMinElements: Infinity })
  after(() => runtime.dispose())

  for (const [name, c] of Object.entries(CASES)) {
    it(`${name}: served as whole tensors, with the reason, the real shapes and onnxruntime's values`, async (t) => {
      if (skipIfNoModels(t)) return
      const session = await runtime.load(version(`${name}.onnx`), context(join(dir, `${name}.onnx`)))
      try {
        assert.equal(session.serving.mode, 'tensor')
        assert.match((session.serving as { reason: string }).reason, c.reason)
        assert.equal(session.fixedBatch, null)
        const labels = Object.fromEntries(session.inputSchema.map((f) => [f.name, typeLabel(f.type)]))
        assert.deepEqual(labels, c.schema)
        // Two rows: each is one call with its own whole tensors.
        const columns = Object.fromEntries(Object.entries(c.inputs).map(([k, tensor]) => {
          const value = nested(plain(tensor.data, tensor.type, true), tensor.dims)
          const field = session.inputSchema.find((f) => f.name === k)!
          return [k, arrow.vectorFromArray([value, value], toArrowType(field.type))]
        }))
        const out = await session.infer(new arrow.Table(columns))
        assert.equal(out.numRows, 2)
        for (const [output, want] of Object.entries(expected.get(name)!)) {
          const got = [...out.getChild(output)!].map(cell)
          assert.deepEqual(got[0], nested(want.values, want.dims), `${name} output ${output}`)
          assert.deepEqual(got[1], got[0])
        }
      } finally {
        await session.close()
      }
    })
  }
})

describe('tensor models through the embedded API and /v2 HTTP', () => {
  let api: LocalQuiverApi
  let server: RunningServer
  let home: string
  const progress = new Map<string, string[]>()
  before(async () => {
    if (skipReason !== null) return
    home = mkdtempSync(join(tmpdir(), 'quiver-tensor-home-'))
    api = await createLocalQuiver({ home, databaseUrl: '' })
    server = await startServer(createApp({ api }).app, { host: '127.0.0.1', port: 0 })
    for (const name of Object.keys(CASES)) {
      const lines: string[] = []
      await api.uploadModel({ name: name.replace(/_/g, '-'), source: { path: join(dir, `${name}.onnx`) }, framework: 'onnx', onProgress: (m) => lines.push(m) })
      progress.set(name, lines)
    }
  })
  after(async () => {
    await server?.close()
    await api?.close()
    if (home) rmSync(home, { recursive: true, force: true })
  })

  for (const [name, c] of Object.entries(CASES)) {
    const model = name.replace(/_/g, '-')
    it(`${name}: the version records tensor mode; JSON rows are calls; V2 tensors keep their shapes`, async (t) => {
      if (skipIfNoModels(t)) return
      const v = await api.getVersion(model)
      assert.equal(v.status, 'ready')
      assert.equal(v.config.serving?.mode, 'tensor')
      assert.match((v.config.serving as { reason: string }).reason, c.reason)
      assert.ok(progress.get(name)!.some((l) => l.startsWith('served as a tensor model, one call per row with whole tensors: ') && c.reason.test(l)), progress.get(name)!.join('\n'))

      const row = Object.fromEntries(Object.entries(c.inputs).map(([k, tensor]) => [k, nested(plain(tensor.data, tensor.type), tensor.dims)]))
      const result = await api.infer(model, { kind: 'json', value: [row, row] })
      assert.equal(result.numRows, 2)
      for (const [output, want] of Object.entries(expected.get(name)!)) {
        const got = [...result.getChild(`out.${output}`)!].map(cell)
        assert.deepEqual(got, [nested(want.values, want.dims), nested(want.values, want.dims)], `${name} output ${output}`)
      }

      const meta = await (await fetch(`${server.url}/v2/models/${model}`)).json() as { inputs: { name: string; shape: number[] }[] }
      for (const input of meta.inputs) {
        const declared = c.inputs[input.name]!.dims
        assert.deepEqual(input.shape, input.name === 'x' && name === 'broadcast_bias' ? [-1, 3] : name === 'zero_rows' ? [-1, 3] : declared, `${name} metadata ${input.name}`)
      }
      const body = {
        inputs: Object.entries(c.inputs).map(([k, tensor]) => ({ name: k, shape: tensor.dims, datatype: DATATYPE[tensor.type], data: plain(tensor.data, tensor.type) })),
      }
      const res = await fetch(`${server.url}/v2/models/${model}/infer`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })
      const answer = await res.json() as { outputs: { name: string; shape: number[]; data: unknown[] }[] }
      assert.equal(res.status, 200, JSON.stringify(answer))
      for (const [output, want] of Object.entries(expected.get(name)!)) {
        const got = answer.outputs.find((o) => o.name === output)!
        assert.deepEqual(got.shape, want.dims, `${name} output ${output} shape`)
        assert.deepEqual(got.data, want.values, `${name} output ${output}`)
      }
    })
  }

  it('over /v1 REST, JSON rows and Arrow stream rows are one call each; answers carry whole tensors', async (t) => {
    if (skipIfNoModels(t)) return
    for (const name of ['gemm_weight', 'scalar_io', 'unique']) {
      const c = CASES[name]!
      const model = name.replace(/_/g, '-')
      const row = Object.fromEntries(Object.entries(c.inputs).map(([k, tensor]) => [k, nested(plain(tensor.data, tensor.type), tensor.dims)]))
      const res = await fetch(`${server.url}/v1/models/${model}/infer`, { method: 'POST', body: JSON.stringify([row, row]), headers: { 'content-type': 'application/json' } })
      const rows = await res.json() as Record<string, unknown>[]
      assert.equal(res.status, 200, JSON.stringify(rows))
      for (const [output, want] of Object.entries(expected.get(name)!)) {
        assert.deepEqual(rows.map((r) => r[`out.${output}`]), [nested(want.values, want.dims), nested(want.values, want.dims)], `${name} /v1 JSON ${output}`)
      }
      const v = await api.getVersion(model)
      const columns = Object.fromEntries(v.input_schema!.map((f) => {
        const tensor = c.inputs[f.name]!
        return [f.name, arrow.vectorFromArray([nested(plain(tensor.data, tensor.type, true), tensor.dims)], toArrowType(f.type))]
      }))
      const ipc = arrow.tableToIPC(new arrow.Table(columns), 'stream')
      const viaArrow = await fetch(`${server.url}/v1/models/${model}/infer`, {
        method: 'POST', body: new Uint8Array(ipc), headers: { 'content-type': 'application/vnd.apache.arrow.stream', accept: 'application/vnd.apache.arrow.stream' },
      })
      assert.equal(viaArrow.status, 200)
      const table = arrow.tableFromIPC(new Uint8Array(await viaArrow.arrayBuffer()))
      assert.equal(table.numRows, 1)
      for (const [output, want] of Object.entries(expected.get(name)!)) {
        assert.deepEqual(cell(table.getChild(`out.${output}`)!.get(0)), nested(want.values, want.dims), `${name} /v1 Arrow ${output}`)
      }
    }
  })

  it("the protocol's binary extension example (input0 UINT32 [2, 2] as binary, input1 BOOL [3] as JSON) is answered as it asks", async (t) => {
    if (skipIfNoModels(t)) return
    await api.uploadModel({ name: 'mymodel', source: { path: join(dir, 'spec_example.onnx') }, framework: 'onnx' })
    const header = Buffer.from(JSON.stringify({
      model_name: 'mymodel',
      inputs: [
        { name: 'input0', shape: [2, 2], datatype: 'UINT32', parameters: { binary_data_size: 16 } },
        { name: 'input1', shape: [3], datatype: 'BOOL', data: [true, false, true] },
      ],
      outputs: [{ name: 'output0', parameters: { binary_data: true } }, { name: 'output1' }],
    }))
    const res = await fetch(`${server.url}/v2/models/mymodel/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.byteLength) },
      body: Buffer.concat([header, Buffer.from(Uint32Array.from([1, 2, 3, 4294967295]).buffer)]),
    })
    const bytes = Buffer.from(await res.arrayBuffer())
    assert.equal(res.status, 200, bytes.toString())
    const length = Number(res.headers.get('inference-header-content-length'))
    const answer = JSON.parse(bytes.subarray(0, length).toString()) as { outputs: { name: string; shape: number[]; datatype: string; data?: unknown[]; parameters?: unknown }[] }
    assert.deepEqual(answer.outputs, [
      { name: 'output0', shape: [2, 2], datatype: 'UINT32', parameters: { binary_data_size: 16 } },
      { name: 'output1', shape: [3], datatype: 'BOOL', data: [false, true, false] },
    ])
    assert.deepEqual([...new Uint32Array(new Uint8Array(bytes.subarray(length)).buffer)], [1, 2, 3, 4294967295])
    const meta = await (await fetch(`${server.url}/v2/models/mymodel`)).json() as { inputs: unknown[] }
    assert.deepEqual(meta.inputs, [{ name: 'input0', datatype: 'UINT32', shape: [2, 2] }, { name: 'input1', datatype: 'BOOL', shape: [3] }])
  })

  it('a tensor of the wrong shape is refused naming the input and both shapes, over the API and V2', async (t) => {
    if (skipIfNoModels(t)) return
    await assert.rejects(api.infer('gemm-weight', { kind: 'json', value: [{ a: [[1, 2, 3]], w: [[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]], c: [1, 2, 3, 4] }] }),
      (e: any) => e.code === 'invalid_input' && /'a'/.test(e.message))
    const res = await fetch(`${server.url}/v2/models/gemm-weight/infer`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [
        { name: 'a', shape: [3, 3], datatype: 'FP32', data: Array(9).fill(1) },
        { name: 'w', shape: [3, 4], datatype: 'FP32', data: Array(12).fill(1) },
        { name: 'c', shape: [4], datatype: 'FP32', data: Array(4).fill(1) },
      ] }),
    })
    assert.equal(res.status, 400)
    assert.match((await res.json() as { error: string }).error, /input 'a' has shape \[3, 3\] but the model takes FP32 tensors of shape \[2, 3\]/)
  })

  it('a model Quiver cannot serve keeps an error that names the model, not the installation', async (t) => {
    if (skipIfNoModels(t)) return
    const v = await api.uploadModel({ name: 'sequence-input', source: { path: join(dir, 'sequence_input.onnx') }, framework: 'onnx' })
    assert.equal(v.status, 'error')
    assert.match(v.error_message!, /^sequence-input \(onnx\) cannot be served: onnx: graph input 'parts' is not a tensor \(a sequence or map\)/)
    assert.doesNotMatch(v.error_message!, /installation/)
  })

  it('a batch model keeps batch mode, recorded on its version, and its metadata batch axis', async (t) => {
    if (skipIfNoModels(t)) return
    const iris = await api.uploadModel({ name: 'iris', source: { path: join(import.meta.dirname, '../fixtures/models/onnx-mlp-iris/model.onnx') }, framework: 'onnx' })
    assert.deepEqual(iris.config.serving, { mode: 'batch' })
    const meta = await (await fetch(`${server.url}/v2/models/iris`)).json() as { inputs: { shape: number[] }[] }
    assert.deepEqual(meta.inputs[0]!.shape, [-1, 4])
  })
})
