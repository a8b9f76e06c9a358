import type { Scenario } from '../scenario.js'
import { irisFeatures } from '../iris.js'
import { acquireServer, HTTP_MODEL, httpBudget, post, releaseServer } from './http-server-process.js'

const ROWS = 1024

/** One Open Inference Protocol request of 1024 rows with the binary tensor data extension both ways. */
function v2BinaryScenario(): Scenario {
  let url = ''
  const values = irisFeatures(ROWS)
  const header = Buffer.from(JSON.stringify({
    inputs: [{ name: 'features', shape: [ROWS, 4], datatype: 'FP32', parameters: { binary_data_size: values.byteLength } }],
    outputs: [{ name: 'species_probs', parameters: { binary_data: true } }],
  }))
  const body = Buffer.concat([header, Buffer.from(values.buffer)])
  const headers = { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.byteLength) }
  return {
    name: `v2-binary-b${ROWS}`,
    rawBaseline: `onnx-raw-b${ROWS}`,
    budget: httpBudget(1),
    async setup() {
      url = `${(await acquireServer()).url}/v2/models/${HTTP_MODEL}/infer`
      const res = await fetch(url, { method: 'POST', body, headers })
      const bytes = Buffer.from(await res.arrayBuffer())
      const jsonLength = Number(res.headers.get('inference-header-content-length'))
      if (res.status !== 200 || bytes.byteLength - jsonLength !== ROWS * 3 * 4) throw new Error(`unexpected answer ${res.status}: ${bytes.toString().slice(0, 200)}`)
    },
    async run() {
      await post(url, body, headers)
      return ROWS
    },
    teardown: releaseServer,
  }
}

export const scenarios: Scenario[] = [v2BinaryScenario()]
