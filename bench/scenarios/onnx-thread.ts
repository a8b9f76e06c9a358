import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Table } from 'apache-arrow'
import type { InferenceSession, Tensor } from 'onnxruntime-node'
import type { QuiverApi } from '../../src/api/quiver-api.js'
import { OnnxRuntime } from '../../src/runtimes/onnx/onnx-runtime.js'
import type { Session } from '../../src/runtimes/runtime.js'
import type { Scenario } from '../scenario.js'
import { IRIS_INPUT, IRIS_MODEL, irisFeatures, irisTable, loadIrisSession } from '../iris.js'

/** Rows of the large batch: 65536 input values, past the default worker-thread threshold. */
const LARGE = 16_384

/** Bare onnxruntime on the large batch, the floor for `inproc-b16384`. */
function rawLarge(): Scenario {
  let session: InferenceSession | undefined
  let feeds: Record<string, Tensor> = {}
  return {
    name: `onnx-raw-b${LARGE}`,
    async setup() {
      const ort = await import('onnxruntime-node')
      session = await ort.InferenceSession.create(IRIS_MODEL, { graphOptimizationLevel: 'all', executionMode: 'sequential' })
      feeds = { [IRIS_INPUT]: new ort.Tensor('float32', irisFeatures(LARGE), [LARGE, 4]) }
    },
    async run() {
      await session!.run(feeds)
      return LARGE
    },
    async teardown() {
      await session?.release()
      session = undefined
    },
  }
}

/** `OnnxSession.infer` with every run sent to the model's worker thread: the cost of the hop. */
function threadScenario(rows: number): Scenario {
  let runtime: OnnxRuntime | undefined
  let session: Session | undefined
  let table: Table | undefined
  return {
    name: `onnx-thread-b${rows}`,
    rawBaseline: `onnx-raw-b${rows}`,
    async setup() {
      runtime = new OnnxRuntime({ threadMinElements: 0 })
      session = await loadIrisSession(runtime)
      table = irisTable(rows)
    },
    async run() {
      await session!.infer(table!)
      return rows
    },
    async teardown() {
      await runtime?.dispose()
      runtime = undefined
    },
  }
}

/** `QuiverApi.infer` in process on the large batch, which the default threshold sends to a thread. */
function inprocLarge(): Scenario {
  let home = ''
  let api: QuiverApi | undefined
  let table: Table | undefined
  return {
    name: `inproc-b${LARGE}`,
    rawBaseline: `onnx-raw-b${LARGE}`,
    async setup() {
      const { createLocalQuiver } = await import('../../src/api/create-local.js')
      home = await mkdtemp(join(tmpdir(), 'quiver-bench-'))
      api = await createLocalQuiver({ home })
      await api.uploadModel({ name: 'bench-iris', source: { path: IRIS_MODEL }, framework: 'onnx' })
      table = irisTable(LARGE)
      const out = await api.infer('bench-iris', { kind: 'table', table })
      if (out.numRows !== LARGE) throw new Error(`infer returned ${out.numRows} rows for ${LARGE}`)
    },
    async run() {
      await api!.infer('bench-iris', { kind: 'table', table: table! })
      return LARGE
    },
    async teardown() {
      await api?.close()
      api = undefined
      if (home) await rm(home, { recursive: true, force: true })
    },
  }
}

export const scenarios: Scenario[] = [rawLarge(), threadScenario(1), threadScenario(1024), inprocLarge()]
