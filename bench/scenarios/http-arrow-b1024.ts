import { tableFromIPC, tableToIPC } from 'apache-arrow'
import type { Scenario } from '../scenario.js'
import { irisTable } from '../iris.js'
import { acquireServer, HTTP_MODEL, httpBudget, post, releaseServer } from './http-server-process.js'

const ROWS = 1024
const ARROW = 'application/vnd.apache.arrow.stream'

/** One REST request of 1024 rows as Arrow IPC, answered as Arrow IPC (the columnar path end to end). */
function httpArrowScenario(): Scenario {
  let url = ''
  const body = tableToIPC(irisTable(ROWS), 'stream') as Uint8Array<ArrayBuffer>
  return {
    name: `http-arrow-b${ROWS}`,
    rawBaseline: `onnx-raw-b${ROWS}`,
    budget: httpBudget(1),
    async setup() {
      url = `${(await acquireServer()).url}/v1/models/${HTTP_MODEL}/infer`
      const out = tableFromIPC(new Uint8Array(await post(url, body, { 'content-type': ARROW, accept: ARROW })))
      if (out.numRows !== ROWS || !out.getChild('out.species_probs')) throw new Error(`unexpected answer: ${out.numRows} rows, ${out.schema.names.join(', ')}`)
    },
    async run() {
      await post(url, body, { 'content-type': ARROW, accept: ARROW })
      return ROWS
    },
    teardown: releaseServer,
  }
}

export const scenarios: Scenario[] = [httpArrowScenario()]
