import type { InferenceSession, Tensor } from 'onnxruntime-node'
import type { Scenario } from '../scenario.js'
import { IRIS_INPUT, IRIS_MODEL, irisFeatures } from '../iris.js'

/** Bare onnxruntime `session.run` on pre-built tensors: the floor Quiver's paths are compared with. */
function rawScenario(rows: number): Scenario {
  let session: InferenceSession | undefined
  let feeds: Record<string, Tensor> = {}
  return {
    name: `onnx-raw-b${rows}`,
    async setup() {
      const ort = await import('onnxruntime-node')
      session = await ort.InferenceSession.create(IRIS_MODEL, { graphOptimizationLevel: 'all', executionMode: 'sequential' })
      feeds = { [IRIS_INPUT]: new ort.Tensor('float32', irisFeatures(rows), [rows, 4]) }
    },
    async run() {
      await session!.run(feeds)
      return rows
    },
    async teardown() {
      await session?.release()
      session = undefined
    },
  }
}

export const scenarios: Scenario[] = [rawScenario(1), rawScenario(1024)]
