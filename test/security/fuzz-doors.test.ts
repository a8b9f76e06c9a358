/**
 * Seeded random mutations of valid request bodies, sent to every input door of a real
 * `quiver serve` and the embedded app: no answer may be a 500, and both keep serving. The seed and
 * the mutation are in every failure message, so a failure replays exactly.
 */
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { after, before, describe, it } from 'node:test'
import { writeParquetBytes as writeParquet } from '../../src/data/duckdb/files.js'
import * as arrow from 'apache-arrow'
import { ARROW_STREAM, PARQUET } from '../../src/server/v1/infer-format.js'
import { irisStream } from './arrow-lies.js'
import { IRIS_ONNX, openDoors, stillServes, type Doors } from './doors.js'
import { mulberry32 } from '../../src/data/seeded-random.js'

const SEED = Number(process.env.QUIVER_FUZZ_SEED ?? 17)
const PER_BODY = Number(process.env.QUIVER_FUZZ_COUNT ?? 25)


const EXTREMES = ['1e309', '-1e39', '1e300', '18446744073709551616', '-9223372036854775809', 'NaN', '-0', '0.5', '"x"', 'null', 'true', '[]', '{}', '[[[[[[[[1]]]]]]]]', '4294967296', '-1']

type Mutation = (b: Uint8Array, r: () => number) => [Uint8Array, string]

const pick = <T>(xs: readonly T[], r: () => number): T => xs[Math.floor(r() * xs.length)]!

const BYTE_MUTATIONS: Mutation[] = [
  (b, r) => { const i = Math.floor(r() * b.length); const o = new Uint8Array(b); o[i] = Math.floor(r() * 256); return [o, `byte ${i} := ${o[i]}`] },
  (b, r) => { const i = Math.floor(r() * b.length); const o = new Uint8Array(b); o[i]! ^= 1 << Math.floor(r() * 8); return [o, `flip a bit of byte ${i}`] },
  (b, r) => { const n = Math.floor(r() * b.length); return [b.slice(0, n), `truncate to ${n}`] },
  (b, r) => { const i = Math.floor(r() * b.length); const n = 1 + Math.floor(r() * 16); return [Buffer.concat([b.subarray(0, i), b.subarray(i + n)]), `delete ${n} at ${i}`] },
  (b, r) => { const i = Math.floor(r() * b.length); const n = 1 + Math.floor(r() * 64); return [Buffer.concat([b.subarray(0, i), b.subarray(i, i + n), b.subarray(i)]), `duplicate ${n} at ${i}`] },
  (b, r) => {
    // An int32 somewhere set to a large or negative value: lengths, offsets and counts in headers.
    const o = new Uint8Array(b)
    const i = Math.floor(r() * Math.max(1, b.length - 4))
    const v = pick([0x7fffffff, -1, 0x10000, 257, 0], r)
    new DataView(o.buffer).setInt32(i, v, true)
    return [o, `int32 at ${i} := ${v}`]
  },
]

const TEXT_MUTATIONS: Mutation[] = [
  ...BYTE_MUTATIONS,
  (b, r) => {
    const text = Buffer.from(b).toString('utf8')
    const numbers = [...text.matchAll(/-?\d+(?:\.\d+)?(?:e[+-]?\d+)?/gi)]
    if (numbers.length === 0) return [b, 'no number to replace']
    const m = pick(numbers, r)
    const v = pick(EXTREMES, r)
    return [Buffer.from(text.slice(0, m.index) + v + text.slice(m.index! + m[0].length)), `number at ${m.index} := ${v}`]
  },
  (b, r) => {
    const text = Buffer.from(b).toString('utf8')
    const i = Math.floor(r() * text.length)
    const n = 1 + Math.floor(r() * 200)
    return [Buffer.from(text.slice(0, i) + '['.repeat(n) + text.slice(i)), `${n} '[' at ${i}`]
  },
]

interface Target {
  name: string
  path: string
  headers: Record<string, string>
  body: Uint8Array
  text: boolean
}

const json = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v))

const BOUNDARY = 'fuzz-boundary-17'

/** A complete upload form: name, framework, meta, input_schema, then the iris model as `file`. */
async function uploadBody(): Promise<Uint8Array> {
  const part = (name: string, value: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`
  const head = part('name', 'fuzzed') + part('framework', 'onnx') + part('meta', '{"team": "a", "n": [1, 2]}') +
    part('input_schema', '[{"name": "features", "type": {"list": "float32", "size": 4}, "nullable": false}]') +
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="model.onnx"\r\n\r\n`
  return Buffer.concat([Buffer.from(head), await readFile(IRIS_ONNX), Buffer.from(`\r\n--${BOUNDARY}--\r\n`)])
}

async function targets(): Promise<Target[]> {
  const iris = arrow.tableFromIPC(irisStream(3))
  const v2Header = Buffer.from(JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [2, 4], parameters: { binary_data_size: 32 } }] }))
  const v2Binary = Buffer.concat([v2Header, Buffer.from(new Float32Array([5.1, 3.5, 1.4, 0.2, 6.2, 2.9, 4.3, 1.3]).buffer)])
  const J = { 'content-type': 'application/json' }
  return [
    { name: '/v1 JSON records', path: '/v1/models/iris/infer', headers: J, body: json([{ features: [5.1, 3.5, 1.4, 0.2] }, { features: [6.2, 2.9, 4.3, 1.3] }]), text: true },
    { name: '/v1 JSON columns', path: '/v1/models/iris/infer', headers: J, body: json({ columns: { features: [[5.1, 3.5, 1.4, 0.2]] } }), text: true },
    { name: '/v1 CSV', path: '/v1/models/iris/infer', headers: { 'content-type': 'text/csv' }, body: json('features\n"[5.1,3.5,1.4,0.2]"\n"[6.2,2.9,4.3,1.3]"\n'), text: true },
    { name: '/v1 Arrow IPC', path: '/v1/models/iris/infer', headers: { 'content-type': ARROW_STREAM }, body: irisStream(3), text: false },
    { name: '/v1 Parquet', path: '/v1/models/iris/infer', headers: { 'content-type': PARQUET }, body: await writeParquet(iris), text: false },
    { name: '/v2 JSON', path: '/v2/models/iris/infer', headers: J, body: json({ id: 'a', inputs: [{ name: 'features', datatype: 'FP32', shape: [2, 4], data: [5.1, 3.5, 1.4, 0.2, 6.2, 2.9, 4.3, 1.3] }], outputs: [{ name: 'probabilities' }] }), text: true },
    { name: '/v2 binary', path: '/v2/models/iris/infer', headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(v2Header.byteLength) }, body: v2Binary, text: false },
    { name: '/v1 upload form', path: '/v1/models', headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }, body: await uploadBody(), text: true },
    { name: '/v1 tags', path: '/v1/models/iris/tags', headers: J, body: json({ tag: 'prod' }), text: true },
    { name: '/v1 features', path: '/v1/features', headers: J, body: json({ name: 'fz', entity: ['id'], event_time: 'ts', source: { path: '/nonexistent/fz.parquet' }, features: [{ name: 'a', type: 'float32' }] }), text: true },
  ]
}

describe(`fuzzed bodies on every door (seed ${SEED})`, () => {
  let d: Doors
  let all: Target[]
  before(async () => {
    d = await openDoors()
    all = await targets()
  })
  after(() => d?.close())

  it(`${PER_BODY} mutations of each valid body: no 500, and both doors keep serving`, async () => {
    const failures: string[] = []
    let sent = 0
    for (const [t, target] of all.entries()) {
      const r = mulberry32(SEED * 1000 + t)
      for (let k = 0; k < PER_BODY; k++) {
        const mutate = pick(target.text ? TEXT_MUTATIONS : BYTE_MUTATIONS, r)
        const [body, what] = mutate(target.body, r)
        for (const door of d.doors) {
          const res = await door.request(target.path, { method: 'POST', headers: target.headers, body: body as Uint8Array<ArrayBuffer> })
          const text = await res.text()
          sent++
          if (res.status >= 500) failures.push(`${door.name} ${target.name} #${k} (${what}): ${res.status} ${text.slice(0, 200)}`)
        }
      }
    }
    for (const door of d.doors) await stillServes(door)
    assert.ok(sent >= all.length * PER_BODY * 2)
    assert.deepEqual(failures, [])
  })
})
