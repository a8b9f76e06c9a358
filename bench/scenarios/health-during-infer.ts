import { tableToIPC } from 'apache-arrow'
import type { Scenario } from '../scenario.js'
import { irisTable } from '../iris.js'
import { acquireServer, HTTP_MODEL, post, releaseServer } from './http-server-process.js'

const BIG_ROWS = 2_000_000
const PROBES = 10
const PROBE_GAP_MS = 1
const ARROW = 'application/vnd.apache.arrow.stream'

/**
 * Health probes against a `quiver serve` process that runs 2M-row Arrow inferences back to back.
 * One iteration sends 10 `/v2/health/live` probes 1 ms apart without waiting for answers and ends
 * when the last answer is in: about 10 ms on a free event loop, longer by however long the loop
 * was held. p99 is the longest stall a probe met; rows/s counts probes.
 */
function healthDuringInference(): Scenario {
  let base = ''
  let stopping = false
  let background: Promise<void> | undefined
  const body = tableToIPC(irisTable(BIG_ROWS), 'stream') as Uint8Array<ArrayBuffer>
  return {
    name: `health-during-b${BIG_ROWS / 1_000_000}m`,
    budget: { full: { warmup: 5, minIterations: 200 }, quick: { warmup: 2, minIterations: 50 } },
    async setup() {
      base = (await acquireServer()).url
      const infer = () => post(`${base}/v1/models/${HTTP_MODEL}/infer`, body, { 'content-type': ARROW, accept: ARROW })
      await infer()
      stopping = false
      background = (async () => {
        while (!stopping) await infer()
      })()
      background.catch(() => {})
    },
    async run() {
      const probes: Promise<void>[] = []
      for (let i = 0; i < PROBES; i++) {
        if (i > 0) await new Promise((r) => setTimeout(r, PROBE_GAP_MS))
        probes.push(fetch(`${base}/v2/health/live`).then(async (res) => {
          await res.arrayBuffer()
          if (res.status !== 200) throw new Error(`/v2/health/live answered ${res.status}`)
        }))
      }
      await Promise.all(probes)
      return PROBES
    },
    async teardown() {
      stopping = true
      await background
      await releaseServer()
    },
  }
}

export const scenarios: Scenario[] = [healthDuringInference()]
