import { fileURLToPath } from 'node:url'
import * as arrow from 'apache-arrow'
import { toArrowSchema } from '../src/data/schema.js'
import type { OnnxRuntime } from '../src/runtimes/onnx/onnx-runtime.js'
import type { Session } from '../src/runtimes/runtime.js'

/** The shared ONNX fixture every ONNX scenario runs: an MLP over 4 float32 features. */
export const IRIS_MODEL = fileURLToPath(new URL('../test/fixtures/models/onnx-mlp-iris/model.onnx', import.meta.url))
export const IRIS_INPUT = 'features'

/** Deterministic feature values in the iris range, `rows × 4`. */
export function irisFeatures(rows: number): Float32Array {
  const out = new Float32Array(rows * 4)
  let seed = 42
  for (let i = 0; i < out.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    out[i] = 0.1 + (seed / 0x7fffffff) * 7.8
  }
  return out
}

/** An Arrow table with one `features` column (fixed-size list of 4 float32, non-null). */
export function irisTable(rows: number): arrow.Table {
  const schema = toArrowSchema([{ name: IRIS_INPUT, type: { list: 'float32', size: 4 }, nullable: false }])
  const type = schema.fields[0]!.type as arrow.FixedSizeList
  const child = arrow.makeData({ type: type.children[0]!.type as arrow.Float32, data: irisFeatures(rows) })
  const column = arrow.makeData({ type, length: rows, nullCount: 0, child })
  const batch = new arrow.RecordBatch(schema, arrow.makeData({ type: new arrow.Struct(schema.fields), length: rows, nullCount: 0, children: [column] }))
  return new arrow.Table([batch])
}

/** The iris model loaded straight into an ONNX runtime, schemas read from the graph. */
export function loadIrisSession(runtime: OnnxRuntime): Promise<Session> {
  const v = {
    id: 0, name: 'bench-iris', version: '', framework: 'onnx' as const, file_name: 'model.onnx', sha256: '',
    input_schema: null, output_schema: null, metadata: {}, additional_files: {}, config: {},
  }
  return runtime.load(v, {
    artifactPath: async () => IRIS_MODEL,
    extractedPath: async () => IRIS_MODEL,
    additionalFilePath: async () => IRIS_MODEL,
    progress: () => {},
  })
}
