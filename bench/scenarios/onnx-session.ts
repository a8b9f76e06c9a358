import type { Table } from 'apache-arrow'
import { OnnxRuntime } from '../../src/runtimes/onnx/onnx-runtime.js'
import type { Session } from '../../src/runtimes/runtime.js'
import type { Scenario } from '../scenario.js'
import { irisTable, loadIrisSession } from '../iris.js'

/** `OnnxSession.infer` alone: Arrow table → tensor views → onnxruntime → Arrow table. */
function sessionScenario(rows: number): Scenario {
  let session: Session | undefined
  let table: Table | undefined
  return {
    name: `onnx-session-b${rows}`,
    rawBaseline: `onnx-raw-b${rows}`,
    async setup() {
      session = await loadIrisSession(new OnnxRuntime())
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
