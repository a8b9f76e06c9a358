import type { Table } from 'apache-arrow'
import { OnnxRuntime } from '../../src/runtimes/onnx/onnx-runtime.js'
import type { Session } from '../../src/runtimes/runtime.js'
import type { Scenario } from '../scenario.js'
import { IRIS_MODEL, irisTable } from '../iris.js'

/** `OnnxSession.infer` alone: Arrow table → tensor views → onnxruntime → Arrow table. */
function sessionScenario(rows: number): Scenario {
  let session: Session | undefined
  let table: Table | undefined
  return {
    name: `onnx-session-b${rows}`,
    rawBaseline: `onnx-raw-b${rows}`,
    async setup() {
      const v = {
        id: 0, name: 'bench-iris', version: '', framework: 'onnx' as const, file_name: 'model.onnx', sha256: '',
        input_schema: null, output_schema: null, metadata: {}, additional_files: {}, config: {},
      }
      session = await new OnnxRuntime().load(v, {
        artifactPath: async () => IRIS_MODEL,
        extractedPath: async () => IRIS_MODEL,
        additionalFilePath: async () => IRIS_MODEL,
        progress: () => {},
      })
      table = irisTable(rows)
    },
    async run() {
      await session!.infer(table!)
      return rows
    },
    async teardown() {
      await session?.close()
      session = undefined
    },
  }
}

export const scenarios: Scenario[] = [sessionScenario(1), sessionScenario(1024)]
