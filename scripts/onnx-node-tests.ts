/**
 * Runs ONNX backend node tests (folders of model.onnx + test_data_set_N/{input,output}_K.pb) through
 * Quiver — uploaded to a temporary embedded home, inferred over /v2 with binary tensors — and
 * through onnxruntime-node directly, and prints how many pass in each. The data is the ONNX
 * project's (github:onnx/onnx at 6be0677fc, onnx/backend/test/data/node), not kept in this repo:
 *
 *   git -C <onnx checkout> archive 6be0677fc onnx/backend/test/data/node | tar -x -C /tmp/onnx-node
 *   node --import tsx scripts/onnx-node-tests.ts [--dir D] [--sample N] [--filter REGEX] [--from NAME] [--timeout-ms MS] [--verbose]
 *
 * Tests whose model takes or gives sequences, maps or optionals are set aside (Quiver serves tensors).
 * Sequential by design: one model at a time, each bounded by --timeout-ms.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import * as arrow from 'apache-arrow'
import * as ort from 'onnxruntime-node'
import { createLocalQuiver } from '../src/api/create-local.js'
import type { LocalQuiverApi } from '../src/api/local-api.js'
import { TENSOR_ELEMENT_TYPES as KNOWN_TYPES } from '../src/data/tensor.js'
import { errorMessage } from '../src/errors.js'
import { createApp } from '../src/server/app.js'
import { graphIo } from './onnx-node/model-io.js'
import { readTensorProto, type TensorFile } from './onnx-node/tensor-proto.js'
import { decodeResponse, encodeRequest, type NamedTensor } from './onnx-node/v2-binary.js'

const DEFAULT_DIR = '/tmp/onnx-node/onnx/backend/test/data/node'
/** onnx.backend.test's default tolerance (np.testing.assert_allclose). */
const RTOL = 1e-3
const ATOL = 1e-7
/** A fresh home every so many models keeps memory bounded (loaded sessions stay until it closes). */
const MODELS_PER_HOME = 150

interface Outcome { ok: boolean; why?: string }
type Result = { name: string; skipped: string } | { name: string; ort: Outcome; quiver: Outcome }

const { values: args } = parseArgs({
  options: {
    dir: { type: 'string', default: DEFAULT_DIR },
    sample: { type: 'string' },
    filter: { type: 'string' },
    from: { type: 'string' },
    'timeout-ms': { type: 'string', default: '30000' },
    verbose: { type: 'boolean', default: false },
  },
})

async function main(): Promise<void> {
  // onnxruntime's warnings (unused initializers, constant folding) would bury the report.
  ort.env.logLevel = 'error'
  const dir = args.dir!
  let names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort()
  if (args.filter) names = names.filter((n) => new RegExp(args.filter!).test(n))
  if (args.from) names = names.filter((n) => n >= args.from!)
  if (args.sample) names = evenlySpaced(names, Number(args.sample))
  const timeoutMs = Number(args['timeout-ms'])
  const results: Result[] = []
  let home: Home | null = null
  const started = Date.now()
  for (const [i, name] of names.entries()) {
    if (!home || i % MODELS_PER_HOME === 0) {
      await home?.close()
      home = await openHome()
    }
    const r = await runTest(join(dir, name), name, home, i, timeoutMs)
    results.push(r)
    if (args.verbose) console.log(line(r))
  }
  await home?.close()
  report(results, Date.now() - started)
}

interface Home { api: LocalQuiverApi; request(path: string, init: RequestInit): Promise<Response>; close(): Promise<void> }

async function openHome(): Promise<Home> {
  const dir = await mkdtemp(join(tmpdir(), 'quiver-onnx-node-'))
  const api = await createLocalQuiver({ home: dir, databaseUrl: '' })
  const app = createApp({ api })
  return {
    api,
    request: async (path, init) => app.app.request(path, init),
    close: async () => {
      await api.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

async function runTest(folder: string, name: string, home: Home, index: number, timeoutMs: number): Promise<Result> {
  const modelPath = join(folder, 'model.onnx')
  const io = graphIo(await readFile(modelPath))
  const odd = [...io.inputs, ...io.outputs].find((v) => !v.tensor)
  if (odd) return { name, skipped: `'${odd.name}' is not a tensor (sequence, map or optional)` }
  const sets = (await readdir(folder)).filter((n) => n.startsWith('test_data_set_')).sort()
  if (sets.length === 0) return { name, skipped: 'no test data set' }
  const data = join(folder, sets[0]!)
  const files = await readdir(data)
  const read = async (prefix: string) => Promise.all(
    files.filter((f) => f.startsWith(prefix)).sort((a, b) => index_(a) - index_(b)).map(async (f) => readTensorProto(await readFile(join(data, f)))),
  )
  const inputs = await read('input_')
  const expected = await read('output_')
  const named = inputs.map((t, i) => ({ ...t, name: io.inputs[i]?.name ?? t.name }))
  const outputNames = expected.map((t, i) => io.outputs[i]?.name ?? t.name)
  const ortOutcome = await bounded(() => runOrt(modelPath, named, outputNames, expected), timeoutMs)
  const quiverOutcome = await bounded(() => runQuiver(home, modelPath, `node-${index}`, named, outputNames, expected), timeoutMs)
  return { name, ort: ortOutcome, quiver: quiverOutcome }
}

const index_ = (f: string) => Number(/_(\d+)\.pb$/.exec(f)?.[1] ?? 0)

async function runOrt(modelPath: string, inputs: TensorFile[], outputNames: string[], expected: TensorFile[]): Promise<Outcome> {
  const session = await ort.InferenceSession.create(modelPath)
  try {
    // onnxruntime-node 1.30 aborts the whole process (out of memory) handing back int4/uint4 tensors.
    const odd = session.outputMetadata.find((m) => m.isTensor && !(KNOWN_TYPES as readonly string[]).includes(m.type))
    if (odd) return { ok: false, why: `output '${odd.name}' is ${(odd as { type: string }).type}, which onnxruntime-node cannot hand back safely; not run` }
    const feeds: Record<string, ort.Tensor> = {}
    for (const t of inputs) {
      if (t.type === null) return { ok: false, why: `input '${t.name}' has ONNX element type ${t.onnxType}, which onnxruntime-node's Tensor cannot hold` }
      feeds[t.name] = new ort.Tensor(t.type, t.data as never, t.dims)
    }
    const out = await session.run(feeds)
    for (const [i, want] of expected.entries()) {
      const got = out[outputNames[i]!]
      if (!got) return { ok: false, why: `no output '${outputNames[i]}'` }
      const why = compare(want, got.dims.map(Number), toValues(got.data as ArrayLike<unknown>, want.type), outputNames[i]!)
      if (why) return { ok: false, why }
    }
    return { ok: true }
  } finally {
    await session.release()
  }
}

async function runQuiver(home: Home, modelPath: string, model: string, inputs: TensorFile[], outputNames: string[], expected: TensorFile[]): Promise<Outcome> {
  const v = await home.api.uploadModel({ name: model, source: { path: modelPath }, framework: 'onnx' })
  if (v.status !== 'ready') return { ok: false, why: `upload: status ${v.status}: ${v.error_message}` }
  const tensors: NamedTensor[] = []
  for (const t of inputs) {
    if (t.type === null) return { ok: false, why: `input '${t.name}' has ONNX element type ${t.onnxType}, which has no V2 datatype here` }
    tensors.push({ name: t.name, type: t.type, dims: t.dims, data: t.data! })
  }
  const { body, headerLength } = encodeRequest(tensors)
  const res = await home.request(`/v2/models/${model}/infer`, {
    method: 'POST', body: new Uint8Array(body), headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(headerLength) },
  })
  const bytes = Buffer.from(await res.arrayBuffer())
  if (res.status !== 200) return { ok: false, why: `HTTP ${res.status}: ${bytes.toString('utf8').slice(0, 400)}` }
  const header = res.headers.get('inference-header-content-length')
  const outputs = decodeResponse(bytes, header === null ? null : Number(header))
  for (const [i, want] of expected.entries()) {
    const got = outputs.find((o) => o.name === outputNames[i])
    if (!got) return { ok: false, why: `no output '${outputNames[i]}' (got ${outputs.map((o) => o.name).join(', ')})` }
    const why = compare(want, got.shape, toValues(got.values, want.type), outputNames[i]!)
    if (why) return { ok: false, why }
  }
  return { ok: true }
}

function toValues(data: ArrayLike<unknown>, type: TensorFile['type']): ArrayLike<unknown> {
  // onnxruntime hands float16 back as half bits (Uint16Array) where the platform has no Float16Array.
  if (type === 'float16' && data instanceof Uint16Array) return Array.from(data, (h) => arrow.util.uint16ToFloat64(h))
  return data
}

function compare(want: TensorFile, dims: number[], got: ArrayLike<unknown>, output: string): string | null {
  if (dims.join(',') !== want.dims.join(',')) return `output '${output}' has shape [${dims.join(', ')}], expected [${want.dims.join(', ')}]`
  if (want.data === null) return `output '${output}' has ONNX element type ${want.onnxType}, which is not compared here`
  const expected = want.type === 'float16' ? Array.from(want.data as Uint16Array, (h) => arrow.util.uint16ToFloat64(h)) : want.data
  if (got.length !== expected.length) return `output '${output}' has ${got.length} values, expected ${expected.length}`
  for (let i = 0; i < expected.length; i++) {
    const w = expected[i]
    const g = got[i]
    if (typeof w === 'number') {
      const n = typeof g === 'bigint' ? Number(g) : (g as number)
      const same = Number.isNaN(w) ? Number.isNaN(n) : w === n || Math.abs(n - w) <= ATOL + RTOL * Math.abs(w)
      if (!same) return `output '${output}' element ${i} is ${String(g)}, expected ${w}`
    } else if (typeof w === 'bigint') {
      if (BigInt(g as bigint | number) !== w) return `output '${output}' element ${i} is ${String(g)}, expected ${w}`
    } else if (g !== w) {
      return `output '${output}' element ${i} is ${JSON.stringify(g)}, expected ${JSON.stringify(w)}`
    }
  }
  return null
}

async function bounded(run: () => Promise<Outcome>, ms: number): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, why: `no answer within ${ms} ms` }), ms)
  })
  try {
    return await Promise.race([run().catch((err: unknown): Outcome => ({ ok: false, why: firstLine(errorMessage(err)) })), timeout])
  } finally {
    clearTimeout(timer)
  }
}

function evenlySpaced<T>(xs: T[], n: number): T[] {
  if (!(n > 0) || n >= xs.length) return xs
  return Array.from({ length: n }, (_, i) => xs[Math.floor((i * xs.length) / n)]!)
}

const firstLine = (s: string) => s.split('\n')[0]!.slice(0, 400)

function line(r: Result): string {
  if ('skipped' in r) return `SKIP  ${r.name}: ${r.skipped}`
  const tag = r.ort.ok ? (r.quiver.ok ? 'PASS ' : 'QFAIL') : r.quiver.ok ? 'OFAIL' : 'BOTH '
  const why = [r.ort.ok ? '' : `ort: ${r.ort.why}`, r.quiver.ok ? '' : `quiver: ${r.quiver.why}`].filter(Boolean).join(' | ')
  return `${tag} ${r.name}${why ? `  ${why}` : ''}`
}

function report(results: Result[], ms: number): void {
  const ran = results.filter((r): r is Exclude<Result, { skipped: string }> => !('skipped' in r))
  const count = (o: boolean, q: boolean) => ran.filter((r) => r.ort.ok === o && r.quiver.ok === q).length
  const quiverOnly = ran.filter((r) => r.ort.ok && !r.quiver.ok)
  console.log(`ONNX node tests: ${results.length} folders in ${(ms / 1000).toFixed(1)} s`)
  console.log(`  both pass:          ${count(true, true)}`)
  console.log(`  Quiver-only fail:   ${quiverOnly.length}`)
  console.log(`  ORT-only fail:      ${count(false, true)}`)
  console.log(`  both fail:          ${count(false, false)}`)
  console.log(`  skipped (sequence/map/optional types, no data): ${results.length - ran.length}`)
  for (const r of quiverOnly) console.log(`  QUIVER-ONLY ${r.name}: ${r.quiver.why}`)
  process.exitCode = quiverOnly.length > 0 ? 1 : 0
}

await main()
