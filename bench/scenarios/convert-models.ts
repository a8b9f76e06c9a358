/**
 * sklearn/xgboost fixture models three ways, at 1 row and 10k rows: the converted runtime (typed-array
 * evaluators in process), the Python worker runtime (Arrow to a worker process and back), and the
 * library called directly inside one Python process (`predict` on a ready numpy batch, timed there,
 * many calls per iteration so the pipe round trip is noise). A summary of the ratios is printed to
 * stderr after the last scenario of each model and batch size.
 */
import { spawn } from 'node:child_process'
import type { ChildProcessByStdio } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { Readable, Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import * as arrow from 'apache-arrow'
import { toArrowSchema } from '../../src/data/schema.js'
import type { ModelSchema } from '../../src/data/schema.js'
import type { Framework } from '../../src/records/frameworks.js'
import { ConvertedRuntime } from '../../src/runtimes/convert/converted-runtime.js'
import { findPython } from '../../src/runtimes/python/find-python.js'
import { PythonRuntime } from '../../src/runtimes/python/python-runtime.js'
import type { LoadableVersion, Runtime, Session } from '../../src/runtimes/runtime.js'
import type { Scenario } from '../scenario.js'

const MODELS = fileURLToPath(new URL('../../test/fixtures/models/', import.meta.url))
const FIXTURES: Record<string, string> = {
  logreg: 'sklearn-logreg-iris', forest: 'sklearn-random-forest-wine', 'xgb-binary': 'xgboost-binary-breast-cancer-pkl', 'xgb-json': 'xgboost-regressor-diabetes-json',
}
const SIZES = [1, 10_000]
/** Each direct-Python iteration runs predict until about this long, so the pipe costs under 1%. */
const DIRECT_ITERATION_MS = 5

interface Case { dir: string; framework: Framework; artifact: string; input: ModelSchema; output: ModelSchema; rows: number[][] }

function readCase(name: string): Case {
  const dir = join(MODELS, name)
  const c = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8'))
  const rows = JSON.parse(readFileSync(join(dir, 'input.json'), 'utf8')).columns.inputs as number[][]
  return { dir, framework: c.framework, artifact: join(dir, c.artifact), input: c.input_schema, output: c.output_schema, rows }
}

/** `rows` feature rows: the fixture's rows in turn, each value jittered by up to ±2%. */
function features(c: Case, rows: number): Float64Array {
  const n = c.rows[0]!.length
  const out = new Float64Array(rows * n)
  let seed = 7
  for (let r = 0; r < rows; r++) {
    const src = c.rows[r % c.rows.length]!
    for (let j = 0; j < n; j++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      out[r * n + j] = r < c.rows.length ? src[j]! : src[j]! * (0.98 + 0.04 * (seed / 0x7fffffff))
    }
  }
  return out
}

function tableOf(schema: ModelSchema, x: Float64Array, rows: number): arrow.Table {
  const s = toArrowSchema(schema)
  const type = s.fields[0]!.type as arrow.FixedSizeList
  const child = arrow.makeData({ type: type.children[0]!.type as arrow.Float64, data: x })
  const column = arrow.makeData({ type, length: rows, nullCount: 0, child })
  return new arrow.Table([new arrow.RecordBatch(s, arrow.makeData({ type: new arrow.Struct(s.fields), length: rows, nullCount: 0, children: [column] }))])
}

function versionOf(c: Case, name: string): LoadableVersion {
  return {
    id: 0, name: `bench-${name}`, version: '00000000-0000-4000-8000-000000000000', framework: c.framework, file_name: c.artifact.split('/').pop()!,
    sha256: '', input_schema: c.input, output_schema: c.output, metadata: {}, additional_files: {}, config: {},
  }
}

/** Median time per row of each path, for the summary line. */
const ledger = new Map<string, Map<string, number>>()
function record(key: string, path: string, times: number[], rowsPerIteration: number): void {
  if (times.length === 0) return
  const sorted = [...times].sort((a, b) => a - b)
  const byPath = ledger.get(key) ?? new Map<string, number>()
  byPath.set(path, (rowsPerIteration * 1e9) / sorted[Math.floor(sorted.length / 2)]!)
  ledger.set(key, byPath)
  const native = byPath.get('native')
  if (path !== 'direct' || native === undefined) return
  const parts = [...byPath].filter(([p]) => p !== 'native').map(([p, rps]) => `${(native / rps).toFixed(1)}× ${p === 'direct' ? 'the library in Python' : 'the Python worker'}`)
  process.stderr.write(`\n  ${key}: converted runtime ${Math.round(native).toLocaleString('en-US')} rows/s = ${parts.join(', ')}\n`)
}

function sessionScenario(label: string, c: Case, rows: number, path: 'native' | 'worker'): Scenario {
  let runtime: Runtime | undefined
  let session: Session | undefined
  let table: arrow.Table | undefined
  const times: number[] = []
  return {
    name: `convert-${label}-${path}-b${rows}`,
    // The library called directly in Python is what the converted runtime is measured against.
    competitor: `convert-${label}-direct-b${rows}`,
    async setup() {
      runtime = path === 'native' ? new ConvertedRuntime() : new PythonRuntime()
      session = await runtime.load(versionOf(c, label), { artifactPath: async () => c.artifact, extractedPath: async () => c.dir, additionalFilePath: async () => c.dir, progress: () => {} })
      table = tableOf(c.input, features(c, rows), rows)
      times.length = 0
    },
    async run() {
      const t0 = process.hrtime.bigint()
      const out = await session!.infer(table!)
      times.push(Number(process.hrtime.bigint() - t0))
      if (out.numRows !== rows) throw new Error(`${label} returned ${out.numRows} rows for ${rows}`)
      return rows
    },
    async teardown() {
      record(`${label}-b${rows}`, path, times, rows)
      await session?.close()
      await runtime?.dispose?.()
      session = undefined
    },
  }
}

const DIRECT_SCRIPT = `
import sys, time, numpy as np
path, batch, rows, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
x = np.fromfile(batch, dtype="<f8").reshape(rows, n)
if open(path, "rb").read(1) == b"\\x80":
    import joblib
    model = joblib.load(path)
    predict = lambda: model.predict(x)
else:
    import xgboost
    model = xgboost.Booster(model_file=path)
    predict = lambda: model.predict(xgboost.DMatrix(x))
predict()
print("ready", flush=True)
for line in sys.stdin:
    reps = int(line)
    t0 = time.perf_counter_ns()
    for _ in range(reps):
        predict()
    print(time.perf_counter_ns() - t0, flush=True)
`

/** The library's own predict() in one Python process; each iteration is `reps` calls, timed in Python. */
function directScenario(label: string, c: Case, rows: number): Scenario {
  let child: ChildProcessByStdio<Writable, Readable, null> | undefined
  let lines: AsyncIterator<string> | undefined
  let dir: string | undefined
  let reps = 1
  const times: number[] = []
  const call = async (n: number): Promise<number> => {
    child!.stdin.write(`${n}\n`)
    const next = await lines!.next()
    if (next.done) throw new Error('the Python process exited')
    return Number(next.value)
  }
  return {
    name: `convert-${label}-direct-b${rows}`,
    budget: { full: { warmup: 3, minIterations: 20 }, quick: { warmup: 1, minIterations: 5 } },
    async setup() {
      const py = await findPython(c.framework === 'xgboost' ? ['numpy', 'xgboost', 'sklearn', 'joblib'] : ['numpy', 'sklearn', 'joblib'])
      dir = mkdtempSync(join(tmpdir(), 'quiver-bench-convert-'))
      const x = features(c, rows)
      writeFileSync(join(dir, 'batch.f8'), Buffer.from(x.buffer, x.byteOffset, x.byteLength))
      const proc = spawn(py.command, ['-c', DIRECT_SCRIPT, c.artifact, join(dir, 'batch.f8'), String(rows), String(x.length / rows)], { stdio: ['pipe', 'pipe', 'inherit'] })
      child = proc
      lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]()
      const first = await lines.next()
      if (first.done || first.value !== 'ready') throw new Error('the Python process did not load the model')
      const once = Math.min(await call(3), await call(3)) / 3
      reps = Math.max(1, Math.ceil((DIRECT_ITERATION_MS * 1e6) / once))
      times.length = 0
    },
    async run() {
      times.push((await call(reps)) / reps)
      return rows * reps
    },
    async teardown() {
      record(`${label}-b${rows}`, 'direct', times, rows)
      child?.stdin.end()
      child?.kill()
      if (dir) rmSync(dir, { recursive: true, force: true })
      child = undefined
    },
  }
}

export const scenarios: Scenario[] = Object.entries(FIXTURES).flatMap(([label, fixture]) => {
  const c = readCase(fixture)
  return SIZES.flatMap((rows) => [sessionScenario(label, c, rows, 'native'), sessionScenario(label, c, rows, 'worker'), directScenario(label, c, rows)])
})
